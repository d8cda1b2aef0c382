//! Large arrays read at random: backed by huge pages where the system
//! allows it, and their elements prefetched ahead of use.

/// Below this, an array fits the TLB's reach anyway.
const HUGE_FROM: usize = 8 << 20;

/// A copy of `v` whose memory the kernel is asked to back with 2 MiB pages
/// (Linux transparent huge pages, `madvise` mode), with room for `spare`
/// more elements. A device's state byte is read at random among hundreds
/// of millions: with 4 KiB pages nearly every such read also misses the
/// TLB. Elsewhere, or for small arrays, a plain copy.
pub fn huge_page_vec<T: Copy>(v: &[T], spare: usize) -> Vec<T> {
    let mut out = Vec::with_capacity(v.len() + spare);
    advise_huge(&mut out);
    out.extend_from_slice(v);
    out
}

/// `len` copies of `value`, as `huge_page_vec`.
pub fn huge_page_filled<T: Copy>(len: usize, spare: usize, value: T) -> Vec<T> {
    let mut out = Vec::with_capacity(len + spare);
    advise_huge(&mut out);
    out.resize(len, value);
    out
}

/// `v`'s elements moved into memory backed as `huge_page_vec`'s: records
/// read at random (a pool's tenants), not copyable.
pub fn to_huge_pages<T>(v: Vec<T>) -> Vec<T> {
    let mut out = Vec::with_capacity(v.len());
    advise_huge(&mut out);
    out.extend(v);
    out
}

/// Asks the processor to bring `value`'s cache line in, without waiting.
#[inline(always)]
pub fn prefetch<T>(value: &T) {
    prefetch_line((value as *const T).cast::<u8>());
}

/// Asks the processor to bring in every cache line of `value` (a record
/// wider than a line), without waiting.
#[inline(always)]
pub fn prefetch_all<T>(value: &T) {
    const LINE: usize = 64;
    let start = (value as *const T).cast::<u8>();
    // The value's first byte, then the start of each later line it covers.
    let skew = start as usize % LINE;
    for offset in (0..skew + std::mem::size_of::<T>().max(1)).step_by(LINE) {
        prefetch_line(start.wrapping_add(offset.saturating_sub(skew)));
    }
}

#[inline(always)]
fn prefetch_line(p: *const u8) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch is only a hint; it never faults or changes memory,
    // whatever the address.
    unsafe {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        _mm_prefetch::<_MM_HINT_T0>(p.cast::<i8>());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

#[cfg(target_os = "linux")]
fn advise_huge<T>(v: &mut Vec<T>) {
    const HUGE: usize = 2 << 20;
    let bytes = v.capacity() * std::mem::size_of::<T>();
    if bytes < HUGE_FROM {
        return;
    }
    // The whole huge pages inside the allocation; the rest stays as it is.
    let start = v.as_mut_ptr() as usize;
    let first = start.next_multiple_of(HUGE);
    let end = (start + bytes) / HUGE * HUGE;
    if end > first {
        // SAFETY: the range lies inside `v`'s allocation, which is not yet
        // touched; `madvise` only changes how it is backed, never its
        // contents, and a refusal (no THP) is harmless, so its result is ignored.
        unsafe {
            libc::madvise(first as *mut libc::c_void, end - first, libc::MADV_HUGEPAGE);
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn advise_huge<T>(_v: &mut Vec<T>) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_keep_their_contents_and_room() {
        let v: Vec<u8> = (0..(20u32 << 20)).map(|i| i as u8).collect();
        let h = huge_page_vec(&v, 100);
        assert_eq!(h, v);
        assert!(h.capacity() >= v.len() + 100);
        let z: Vec<u16> = huge_page_filled(10 << 20, 5, 0);
        assert!(z.len() == 10 << 20 && z.iter().all(|&x| x == 0));
    }
}
