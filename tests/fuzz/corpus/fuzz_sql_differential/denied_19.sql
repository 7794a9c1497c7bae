SELECT name FROM customers 
‫  ;⁠ CREATE TEMP VIEW v AS SELECT 1 ᅠ;  #
