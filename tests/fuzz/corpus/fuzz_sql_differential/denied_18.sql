UPDATE products SET stock  # = 1 WHERE id = 1
* ; REPLACE INTO categories (id, name) VALUES (1, 'x');*