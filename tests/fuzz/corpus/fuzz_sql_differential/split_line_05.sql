SELECT id FROM orders WHERE id = 1 --U&'
;
REINDEX --	 '