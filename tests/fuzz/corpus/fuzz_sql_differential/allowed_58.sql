SELECT id FROM orders WHERE status = '  ;  ALTER TABLE customers ADD COLUMN x ; ‬'
