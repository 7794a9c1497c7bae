UPDATE products SET price = 0 --WHERE id = 1
