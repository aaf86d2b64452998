CREATE CATALOG IF NOT EXISTS `main` COMMENT 'it\'s main';

ALTER CATALOG `main` OWNER TO `data-eng`;

CREATE SCHEMA IF NOT EXISTS `main`.`sales` WITH DBPROPERTIES ('a\'' = 'b');
