ALTER TABLE `main`.`sales`.`order-lines` SET TBLPROPERTIES ('delta.enableTypeWidening' = 'true');

ALTER TABLE `main`.`sales`.`order-lines` ADD COLUMNS (`email` STRING COMMENT 'a\'b');

COMMENT ON TABLE `main`.`sales`.`order-lines` IS NULL;

ALTER TABLE `main`.`sales`.`order-lines` ALTER COLUMN `select` DROP NOT NULL;

ALTER TABLE `main`.`sales`.`order-lines` ALTER COLUMN `order` TYPE DECIMAL(20,2);

ALTER TABLE `main`.`sales`.`order-lines` ALTER COLUMN `date` COMMENT 'partition';

ALTER TABLE `main`.`sales`.`order-lines` ADD CONSTRAINT `fresh` CHECK (`date` > '2020-01-01');

ALTER TABLE `main`.`sales`.`order-lines` DROP CONSTRAINT IF EXISTS `known`;

ALTER TABLE `main`.`sales`.`order-lines` DROP CONSTRAINT IF EXISTS `positive`;

ALTER TABLE `main`.`sales`.`order-lines` ADD CONSTRAINT `positive` CHECK (`order` > 0);

ALTER TABLE `main`.`sales`.`order-lines` SET TBLPROPERTIES ('delta.appendOnly' = 'false', 'tier' = 'gold');

ALTER TABLE `main`.`sales`.`order-lines` UNSET TBLPROPERTIES IF EXISTS ('owner\'s note');
