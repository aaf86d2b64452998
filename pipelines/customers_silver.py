"""Bronze → silver: the latest state of every customer from the CRM export."""
import dlt
from pyspark.sql import functions as F


@dlt.table(name="customers", comment="Current state of every customer")
def customers():
    raw = spark.readStream.table(f"{spark.conf.get('source_catalog')}.bronze.raw_customers")
    body = F.from_json("body", "customer_id BIGINT, name STRING, country STRING, segment STRING, attributes MAP<STRING,STRING>, created_at TIMESTAMP")
    return raw.select(body.alias("c")).select("c.*")
