SELECT id FROM orders WHERE status = ["INSERT INTO categories (name) VALUES ('smuggled');‎]
