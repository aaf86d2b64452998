-- Latest state of each order, from the raw export.
CREATE OR REFRESH STREAMING TABLE orders
AS SELECT
  CAST(get_json_object(payload, '$.id') AS BIGINT)            AS order_id,
  CAST(get_json_object(payload, '$.customer') AS BIGINT)      AS customer_id,
  CAST(get_json_object(payload, '$.amount') AS DECIMAL(18,2)) AS amount,
  get_json_object(payload, '$.status')                        AS status,
  CAST(get_json_object(payload, '$.ordered_at') AS TIMESTAMP) AS ordered_at
FROM STREAM(${source_catalog}.bronze.raw_orders);
