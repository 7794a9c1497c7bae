SELECT id FROM orders WHERE status = E'

　; ‬DROP TABLE orders;*'