SELECT [id] FROM orders
U&" ­
 INSERT INTO categories (name) VALUES ('smuggled') ;⁠U&" U&"