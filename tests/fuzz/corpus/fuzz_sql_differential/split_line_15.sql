SELECT `id` FROM orders-- U&'
; UPDATE products SET price = 0 -- WHERE id = 1
 ;-- '