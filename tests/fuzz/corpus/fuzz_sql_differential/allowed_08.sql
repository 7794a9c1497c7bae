SELECT ' ㅤᅠALTER TABLE customers ADD COLUMN x;'
;
SELECT [id] FROM orders