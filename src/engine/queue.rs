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

/// A deterministic monotone priority queue of timed events.
pub struct EventQueue<E> {
    /// Time of the last popped event: no event may be scheduled before it.
    last: u64,
    /// Events at `last`, in scheduling order.
    now: VecDeque<Entry<E>>,
    /// Bucket i (1..=64): events whose highest bit differing from `last` is i-1.
    buckets: Vec<Vec<Entry<E>>>,
    len: usize,
    next_seq: u64,
}

#[inline]
fn bucket_of(time: u64, last: u64) -> usize {
    64 - (time ^ last).leading_zeros() as usize
}

impl<E: Copy> EventQueue<E> {
    /// An empty queue. Buckets grow as needed and keep their allocation.
    pub fn new() -> Self {
        EventQueue {
            last: 0,
            now: VecDeque::new(),
            buckets: (0..65).map(|_| Vec::new()).collect(),
            len: 0,
            next_seq: 0,
        }
    }

    /// Schedules `event` at `time`; later pushes at the same time pop later.
    /// A time before the last popped one is a bug in the caller; it is
    /// treated as "now" so that release builds stay well defined.
    #[inline]
    pub fn push(&mut self, time: SimTime, event: E) {
        debug_assert!(time.0 >= self.last, "event scheduled in the past");
        let time = time.0.max(self.last);
        let entry = Entry {
            time,
            seq: self.next_seq,
            event,
        };
        self.next_seq += 1;
        self.len += 1;
        match bucket_of(time, self.last) {
            0 => self.now.push_back(entry),
            b => self.buckets[b].push(entry),
        }
    }

    /// Moves the earliest events into `now`; false when the queue is empty.
    fn refill(&mut self) -> bool {
        let Some(b) = (1..65).find(|&b| !self.buckets[b].is_empty()) else {
            return false;
        };
        let mut items = std::mem::take(&mut self.buckets[b]);
        self.last = items.iter().map(|e| e.time).min().expect("bucket is not empty");
        for e in items.drain(..) {
            match bucket_of(e.time, self.last) {
                0 => self.now.push_back(e),
                nb => self.buckets[nb].push(e), // nb < b: events only move down
            }
        }
        self.buckets[b] = items; // keep the allocation
        self.now.make_contiguous().sort_unstable_by_key(|e| e.seq);
        true
    }

    /// Removes and returns the earliest event (earliest scheduled among equal times).
    #[inline]
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        if self.now.is_empty() && !self.refill() {
            return None;
        }
        let e = self.now.pop_front()?;
        self.len -= 1;
        Some((SimTime(e.time), e.event))
    }

    /// The time of the earliest event, if any.
    pub fn peek_time(&mut self) -> Option<SimTime> {
        if self.now.is_empty() && !self.refill() {
            return None;
        }
        self.now.front().map(|e| SimTime(e.time))
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
