ALTER TABLE `main`.`sales`.`order-lines` SET TBLPROPERTIES ('delta.columnMapping.mode' = 'name');

ALTER TABLE `main`.`sales`.`order-lines` RENAME COLUMN `order` TO `amount`;

ALTER TABLE `main`.`sales`.`order-lines` DROP COLUMNS (`attrs`);
