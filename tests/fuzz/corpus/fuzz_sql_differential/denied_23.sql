SELECT name FROM customers""
;  DETACH aux; /*M!