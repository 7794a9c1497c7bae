SELECT id FROM orders WHERE status = " 
;DELETE FROM orders "" ᅟ";
SELECT 1