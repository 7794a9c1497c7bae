INSERT INTO categories (name) VALUES ('g')U&'( ‎ /*M!
;‎ PRAGMA user_version = 7  /*M! /*U&'