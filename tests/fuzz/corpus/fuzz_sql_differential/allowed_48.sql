WITH x AS (SELECT 1) SELECT * FROM x /*  E' ‫; CREATE INDEX i ON orders (status);` 
*/