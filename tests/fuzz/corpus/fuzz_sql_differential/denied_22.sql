merge into
drop_log m usi---n ---g  deleted_rows src on m.id = src.id WHEN NOT MATCHED THEN  I‌-NSERT (a) VALUES (src.a) WHEN NOT MATCHED THEN DO NOTHING