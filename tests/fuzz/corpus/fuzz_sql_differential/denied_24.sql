d\"elete from /* DROP TABLE x */ items where t.a < CaSE -- DELETE FROM t WHERE 1
when a =  b /* ; TRUNCATE t; */ +
1 ThEN 'it''s' ELSE	comment  END;