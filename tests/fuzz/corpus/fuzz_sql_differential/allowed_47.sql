SELECT id FROM orders WHERE status = '‫  ‍VACUUM ;-'
; SELECT name FROM customers