#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| imgedit::fuzz::bedrock_request(data));
