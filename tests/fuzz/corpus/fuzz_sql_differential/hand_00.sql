SELECT 1 --'
; DROP TABLE orders; --'