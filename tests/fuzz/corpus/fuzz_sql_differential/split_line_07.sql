SELECT "id" FROM orders-- E'
;
PRAGMA user_version = 7
/*'