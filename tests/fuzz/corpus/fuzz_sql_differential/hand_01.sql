SELECT 1 -- note
FROM orders