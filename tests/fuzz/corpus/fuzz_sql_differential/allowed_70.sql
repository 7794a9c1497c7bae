SELECT $$ ‪ DROP TABLE orders　$$
