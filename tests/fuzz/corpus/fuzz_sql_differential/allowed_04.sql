UPDATE products SET stock = 1 WHERE id = 1-- ᅠ᠎ ;CREATE INDEX i ON orders (status)  
