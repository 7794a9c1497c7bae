SELECT 'a' -- # PRAGMA user_version = 7  
;SELECT id FROM orders WHERE id = 1