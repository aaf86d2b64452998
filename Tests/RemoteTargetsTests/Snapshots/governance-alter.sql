ALTER TABLE `main`.`sales`.`order-lines` ADD COLUMNS (`email` STRING MASK `main`.`sales`.`redact`);

ALTER TABLE `main`.`sales`.`order-lines` ALTER COLUMN `email` SET TAGS ('pii' = 'true');

ALTER TABLE `main`.`sales`.`order-lines` ALTER COLUMN `select` SET MASK `main`.`sales`.`redact` USING COLUMNS (`date`);

ALTER TABLE `main`.`sales`.`order-lines` ALTER COLUMN `order` DROP MASK;

ALTER TABLE `main`.`sales`.`order-lines` DROP ROW FILTER;

ALTER TABLE `main`.`sales`.`order-lines` UNSET TAGS ('owner');

ALTER TABLE `main`.`sales`.`order-lines` SET TAGS ('classification' = 'confidential');

ALTER TABLE `main`.`sales`.`order-lines` ALTER COLUMN `select` UNSET TAGS ('pii');

ALTER TABLE `main`.`sales`.`order-lines` SET ROW FILTER `main`.`sales`.`in_region` ON (`date`, `select`);

ALTER CATALOG `main` UNSET TAGS ('b');

ALTER CATALOG `main` SET TAGS ('a' = '3');
