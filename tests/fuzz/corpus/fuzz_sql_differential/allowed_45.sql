SELECT N'  UPDATE products SET price = 0 -- WHERE id = 1
  ' ;WITH x AS (SELECT 1) SELECT * FROM x