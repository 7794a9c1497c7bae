SELECT count(*) FROM orders WHERE status = 'paid'/*   '' ‎CREATE TEMP VIEW v AS SELECT 1
 
 */ 