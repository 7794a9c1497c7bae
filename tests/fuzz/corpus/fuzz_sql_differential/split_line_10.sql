SELECT `id` FROM orders --U&'
;ALTER TABLE orders RENAME TO gone

/*'