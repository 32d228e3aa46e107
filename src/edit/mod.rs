//! The pipeline: what to change ([`job`]), the rules it must keep ([`rules`], read from the
//! [`model`] table), [`prepare`] for the engine, and [`finish`] (composite, write, record).

pub mod engine;
pub mod finish;
pub mod job;
pub mod model;
pub mod options;
pub mod polarity;
pub mod prepare;
pub mod rules;
pub mod run;
