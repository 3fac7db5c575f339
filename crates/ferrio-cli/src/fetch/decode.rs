//! Content-Encoding: gzip and deflate bodies decoded (others left as
//! they came).

use std::io::Read;

use bytes::Bytes;
use hyper::header::HeaderValue;

use super::error::{ErrorKind, FetchError};

/// Decodes a gzip or deflate body (others are left as they came).
pub(crate) fn decode(encoding: Option<&HeaderValue>, raw: Bytes) -> Result<Bytes, FetchError> {
    let Some(encoding) = encoding.and_then(|v| v.to_str().ok()) else {
        return Ok(raw);
    };
    let encoding = encoding.trim().to_ascii_lowercase();
    let mut out = Vec::new();
    let failed = |e: std::io::Error| {
        FetchError::new(
            ErrorKind::Decode,
            format!("the {encoding} body does not decode: {e}"),
        )
    };
    match encoding.as_str() {
        "gzip" | "x-gzip" => {
            flate2::read::MultiGzDecoder::new(&raw[..])
                .read_to_end(&mut out)
                .map_err(failed)?;
        }
        "deflate" => {
            // HTTP's "deflate" is zlib; some servers send raw deflate.
            if flate2::read::ZlibDecoder::new(&raw[..])
                .read_to_end(&mut out)
                .is_err()
            {
                out.clear();
                flate2::read::DeflateDecoder::new(&raw[..])
                    .read_to_end(&mut out)
                    .map_err(failed)?;
            }
        }
        _ => return Ok(raw),
    }
    Ok(Bytes::from(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn bodies_decode() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(b"hello gzip").unwrap();
        let gz = Bytes::from(gz.finish().unwrap());
        let got = decode(Some(&HeaderValue::from_static("gzip")), gz).unwrap();
        assert_eq!(&got[..], b"hello gzip");
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
        z.write_all(b"hello zlib").unwrap();
        let z = Bytes::from(z.finish().unwrap());
        assert_eq!(
            &decode(Some(&HeaderValue::from_static("deflate")), z).unwrap()[..],
            b"hello zlib"
        );
        let mut raw = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
        raw.write_all(b"hello raw").unwrap();
        let raw = Bytes::from(raw.finish().unwrap());
        assert_eq!(
            &decode(Some(&HeaderValue::from_static("Deflate")), raw).unwrap()[..],
            b"hello raw"
        );
        let plain = Bytes::from_static(b"plain");
        assert_eq!(decode(None, plain.clone()).unwrap(), plain);
        assert_eq!(
            decode(Some(&HeaderValue::from_static("br")), plain.clone()).unwrap(),
            plain
        );
        let err = decode(Some(&HeaderValue::from_static("gzip")), plain).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Decode);
    }
}
