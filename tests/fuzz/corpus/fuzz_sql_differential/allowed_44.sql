SELECT `id` FROM orders-- \"  REINDEX ` 
