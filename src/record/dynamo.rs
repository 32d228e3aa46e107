// Placeholder replaced by the dynamo branch at merge time.
use super::EditRecord;
use crate::error::Result;
pub struct DynamoLog { table: String }
impl DynamoLog {
    pub async fn new(table: &str, _region: Option<&str>, _profile: Option<&str>) -> Self { DynamoLog { table: table.into() } }
    pub fn table(&self) -> &str { &self.table }
    pub async fn create_table_if_missing(&self) -> Result<bool> { Ok(false) }
    pub async fn put(&self, _r: &EditRecord) -> Result<()> { Ok(()) }
}
