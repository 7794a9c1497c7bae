SELECT id FROM orders WHERE status = "/*M!‪‭; ‍DETACH aux "
;UPDATE products SET stock = 1 WHERE id = 1