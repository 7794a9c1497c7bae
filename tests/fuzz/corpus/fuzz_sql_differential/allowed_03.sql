SELECT * FROM orders	WHERE prepare
=
coalesce((SELECT	"where"  frOM orders WHERE
prepare  >= "delete"), $q$ WHERE $q$)