SELECT id FROM orders WHERE id = 1
N'  ? ᠎
UPDATE products SET price = 0 -- WHERE id = 1
 ;?;DELETE FROM orders WHERE id = 1N'