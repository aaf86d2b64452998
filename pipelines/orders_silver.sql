-- Bronze → silver: parse, type and deduplicate order events.
CREATE OR REFRESH STREAMING TABLE orders AS
SELECT
  CAST(get_json_object(payload, '$.order_id') AS BIGINT)        AS order_id,
  CAST(get_json_object(payload, '$.customer_id') AS BIGINT)     AS customer_id,
  CAST(get_json_object(payload, '$.order_date') AS DATE)        AS order_date,
  get_json_object(payload, '$.status')                          AS status,
  CAST(get_json_object(payload, '$.amount') AS DECIMAL(18,2))   AS amount,
  get_json_object(payload, '$.currency')                        AS currency,
  from_json(get_json_object(payload, '$.shipping_address'),
            'street STRING, city STRING, postal_code STRING, country STRING') AS shipping_address,
  received_at                                                   AS updated_at
FROM STREAM(${source_catalog}.bronze.raw_orders);
