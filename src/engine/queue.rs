//! The pending-event set: a radix heap over integer time, FIFO among equal times.
//!
//! A simulation never schedules into the past, so the keys popped form a
//! non-decreasing sequence and a radix heap applies: bucket `i > 0` holds
//! events whose time first differs from the last popped time at bit `i-1`.
//! Push is O(1) (an append); pop is amortised O(log T) for time range T,
//! because an event only ever moves to a lower bucket. Work is sequential
//! appends and scans rather than a binary heap's scattered sifts, which
//! matters with millions of pending polls.
//!
//! Events at the same instant leave in the order they were scheduled:
//! bucket 0 (time equal to the last popped) is a FIFO, sorted by sequence
//! number when it is refilled, and later pushes at that time carry larger
//! sequence numbers, so appending keeps it sorted.
//!
//! In front of the heap sits a small sorted window of the next events, so
//! that the simulation can prefetch the memory of an event a few places
//! ahead (`lookahead`).

use super::time::SimTime;
use std::collections::VecDeque;

#[derive(Clone, Copy, Debug)]
struct Entry<E> {
    time: u64,
    seq: u64,
    event: E,
}

impl<E: Copy> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

/// Events moved at a time from the radix heap into the sorted window, so
/// that the caller can see (and prefetch for) the next few events.
const WINDOW: usize = 16;

/// Events `lookahead` can always show, while the queue holds that many.
const LOOKAHEAD: usize = 4;

/// A deterministic monotone priority queue of timed events.
///
/// Two levels: a radix heap holds most events; the earliest ones wait in a
/// sorted window, refilled `WINDOW` at a time, from which they leave. Every
/// entry in the window orders before every entry in the heap: an event
/// scheduled earlier than the heap's last handed-out time joins the window.
pub struct EventQueue<E> {
    window: VecDeque<Entry<E>>,
    heap: RadixHeap<E>,
    len: usize,
    next_seq: u64,
}

impl<E: Copy> EventQueue<E> {
    /// An empty queue. Buckets grow as needed and keep their allocation.
    pub fn new() -> Self {
        EventQueue {
            window: VecDeque::with_capacity(WINDOW + 1),
            heap: RadixHeap::new(),
            len: 0,
            next_seq: 0,
        }
    }

    /// Schedules `event` at `time`; later pushes at the same time pop later.
    /// A time before the last popped one is a bug in the caller; it is
    /// treated as "now" so that release builds stay well defined.
    #[inline]
    pub fn push(&mut self, time: SimTime, event: E) {
        let entry = Entry {
            time: time.0,
            seq: self.next_seq,
            event,
        };
        self.next_seq += 1;
        self.len += 1;
        if entry.time < self.heap.last {
            // Earlier than what the heap has handed to the window: its place
            // is in the window, which such entries rarely reach far into.
            let at = self.window.partition_point(|e| e.time <= entry.time);
            self.window.insert(at, entry);
        } else {
            // Later than every entry in the window (or tied with a smaller seq).
            self.heap.push(entry);
        }
    }

    /// Removes and returns the earliest event (earliest scheduled among equal times).
    #[inline]
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        // Refilled before it runs dry, so that `lookahead` always sees a
        // few events ahead.
        if self.window.len() <= LOOKAHEAD {
            while self.window.len() < WINDOW {
                match self.heap.pop() {
                    Some(e) => self.window.push_back(e),
                    None => break,
                }
            }
        }
        let e = self.window.pop_front()?;
        self.len -= 1;
        Some((SimTime(e.time), e.event))
    }

    /// The event that pops `k` places from now (0: the next), if it is
    /// already in the window: a hint for prefetching, not a promise of
    /// order (an event scheduled meanwhile may come before it).
    #[inline]
    pub fn lookahead(&self, k: usize) -> Option<&E> {
        self.window.get(k).map(|e| &e.event)
    }

    /// The time of the earliest event, if any.
    pub fn peek_time(&mut self) -> Option<SimTime> {
        if let Some(e) = self.window.front() {
            return Some(SimTime(e.time));
        }
        let e = self.heap.pop()?;
        self.window.push_back(e);
        Some(SimTime(e.time))
    }

    /// Number of pending events.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when nothing is pending.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// The radix heap behind the window.
struct RadixHeap<E> {
    /// Time of the last popped entry: no entry may come in before it.
    last: u64,
    /// Entries at `last`, in sequence order.
    now: VecDeque<Entry<E>>,
    /// Bucket i (1..=64): entries whose highest bit differing from `last` is i-1.
    buckets: Vec<Vec<Entry<E>>>,
}

#[inline]
fn bucket_of(time: u64, last: u64) -> usize {
    64 - (time ^ last).leading_zeros() as usize
}

impl<E: Copy> RadixHeap<E> {
    fn new() -> Self {
        RadixHeap {
            last: 0,
            now: VecDeque::new(),
            buckets: (0..65).map(|_| Vec::new()).collect(),
        }
    }

    #[inline]
    fn push(&mut self, mut entry: Entry<E>) {
        debug_assert!(entry.time >= self.last, "event scheduled in the past");
        entry.time = entry.time.max(self.last);
        match bucket_of(entry.time, self.last) {
            0 => self.now.push_back(entry), // the largest seq so far: stays in order
            b => self.buckets[b].push(entry),
        }
    }

    /// Moves the earliest entries into `now`; false when the heap is empty.
    fn refill(&mut self) -> bool {
        let Some(b) = (1..65).find(|&b| !self.buckets[b].is_empty()) else {
            return false;
        };
        let mut items = std::mem::take(&mut self.buckets[b]);
        self.last = items.iter().map(|e| e.time).min().expect("bucket is not empty");
        for e in items.drain(..) {
            match bucket_of(e.time, self.last) {
                0 => self.now.push_back(e),
                nb => self.buckets[nb].push(e), // nb < b: entries only move down
            }
        }
        self.buckets[b] = items; // keep the allocation
        self.now.make_contiguous().sort_unstable_by_key(|e| e.seq);
        true
    }

    #[inline]
    fn pop(&mut self) -> Option<Entry<E>> {
        if self.now.is_empty() && !self.refill() {
            return None;
        }
        self.now.pop_front()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    proptest! {
        /// The queue pops exactly what a BTreeMap keyed by (time, insertion)
        /// would, for any interleaving of pushes (never into the past) and pops.
        #[test]
        fn matches_btreemap_model(ops in proptest::collection::vec((any::<bool>(), 0u64..3, 0u64..1 << 40), 0..600)) {
            let mut q = EventQueue::new();
            let mut model = BTreeMap::new();
            let (mut seq, mut now) = (0u64, 0u64);
            for (is_push, scale, delta) in ops {
                if is_push || model.is_empty() {
                    // Mix ties, short and long delays.
                    let t = now + [0, delta % 50, delta][scale as usize];
                    q.push(SimTime(t), seq);
                    model.insert((t, seq), seq);
                    seq += 1;
                } else {
                    let (&(mt, ms), &mv) = model.iter().next().unwrap();
                    model.remove(&(mt, ms));
                    prop_assert_eq!(q.pop(), Some((SimTime(mt), mv)));
                    now = mt;
                }
                prop_assert_eq!(q.len(), model.len());
            }
            while let Some((&(mt, ms), &mv)) = model.iter().next() {
                model.remove(&(mt, ms));
                prop_assert_eq!(q.pop(), Some((SimTime(mt), mv)));
            }
            prop_assert_eq!(q.pop(), None);
        }
    }

    #[test]
    fn lookahead_shows_what_pops_next() {
        let mut q = EventQueue::new();
        for t in [30u64, 10, 20, 40] {
            q.push(SimTime(t), t);
        }
        assert_eq!(q.pop(), Some((SimTime(10), 10)));
        assert_eq!(q.lookahead(0), Some(&20));
        assert_eq!(q.lookahead(1), Some(&30));
        q.push(SimTime(25), 25); // earlier than what the window holds: joins it
        assert_eq!(q.lookahead(1), Some(&25));
        let rest: Vec<u64> = std::iter::from_fn(|| q.pop().map(|(_, e)| e)).collect();
        assert_eq!(rest, vec![20, 25, 30, 40]);
    }

    /// The window is refilled before it runs dry, so the prefetching event
    /// loop always sees `LOOKAHEAD` events ahead, and the order is kept.
    #[test]
    fn lookahead_never_runs_dry_while_events_remain() {
        let mut q = EventQueue::new();
        for t in (0..100u64).rev() {
            q.push(SimTime(t), t);
        }
        for t in 0..100u64 {
            assert_eq!(q.pop(), Some((SimTime(t), t)));
            let left = (99 - t) as usize;
            for k in 0..LOOKAHEAD.min(left) {
                assert_eq!(q.lookahead(k), Some(&(t + 1 + k as u64)), "after popping {t}");
            }
        }
    }

    #[test]
    fn equal_times_leave_in_insertion_order() {
        let mut q = EventQueue::new();
        q.push(SimTime(5), 'b');
        q.push(SimTime(1), 'a');
        q.push(SimTime(5), 'c');
        assert_eq!(q.pop(), Some((SimTime(1), 'a')));
        q.push(SimTime(5), 'd');
        assert_eq!(q.peek_time(), Some(SimTime(5)));
        q.push(SimTime(5), 'e');
        let order: Vec<char> = std::iter::from_fn(|| q.pop().map(|(_, e)| e)).collect();
        assert_eq!(order, vec!['b', 'c', 'd', 'e']);
    }
}
