insert into  deleted_r--	ows (delete, a)
default values