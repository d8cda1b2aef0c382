//! Which tenants are under MDM and which take part in each policy change.
//!
//! Drawn once per replication for the whole population, so that every pool
//! sees the same selection whichever thread runs it.

use super::clock::Clocks;
use crate::engine::{Purpose, Streams};
use crate::scenario::Scenario;
use rand::Rng;
use std::sync::Arc;

/// What is fixed about a tenant before the simulation starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TenantPlan {
    /// Index of the tenant's group in the scenario.
    pub group: u32,
    /// Position in the group's rollout order: a change with share s reaches
    /// the tenants ranked below round(s × count), so stages nest.
    pub rank: u32,
    /// Manages devices itself: its policy stays unmanaged.
    pub mdm: bool,
    /// With a calendar, the tenant's clock (group and time zone) in
    /// `Plan::clocks`; `NO_CLOCK` without one.
    pub clock: u32,
}

/// `TenantPlan::clock` of a scenario without a calendar.
pub const NO_CLOCK: u32 = u32::MAX;

/// Tenants numbered from 0 in file order across all groups.
#[derive(Clone, Debug)]
pub struct Plan {
    /// One entry per tenant.
    pub tenants: Vec<TenantPlan>,
    /// The calendar's clocks, shared by the pools; `None` without a calendar.
    pub clocks: Option<Arc<Clocks>>,
}

/// How many of `count` tenants a share selects: round(share × count).
pub fn selected_count(share: f64, count: u32) -> u32 {
    (share * count as f64).round() as u32
}

/// A random permutation of 0..n from `rng` (Fisher–Yates).
fn permutation<R: Rng>(n: u32, rng: &mut R) -> Vec<u32> {
    let mut p: Vec<u32> = (0..n).collect();
    for i in (1..p.len()).rev() {
        let j = rng.gen_range(0..=i);
        p.swap(i, j);
    }
    p
}

impl Plan {
    /// Draws the plan of replication `streams`.
    pub fn draw(scenario: &Scenario, streams: &Streams) -> Plan {
        let mut tenants = Vec::with_capacity(scenario.tenant_count() as usize);
        let clocks = Clocks::build(scenario);
        for (g, group) in scenario.groups.iter().enumerate() {
            let zone = Self::zones(scenario, g, streams);
            let first_clock = clocks.as_ref().map_or(NO_CLOCK, |c| c.first[g]);
            let ranks = permutation(group.count, &mut streams.stream(Purpose::Selection, g as u64, 0));
            let mdm_order = permutation(group.count, &mut streams.stream(Purpose::Selection, g as u64, 1));
            let mdm_n = selected_count(group.mdm_share, group.count);
            let mut mdm = vec![false; group.count as usize];
            for &t in &mdm_order[..mdm_n as usize] {
                mdm[t as usize] = true;
            }
            for i in 0..group.count as usize {
                tenants.push(TenantPlan {
                    group: g as u32,
                    rank: ranks[i],
                    mdm: mdm[i],
                    clock: zone.as_ref().map_or(NO_CLOCK, |z| first_clock + z[i]),
                });
            }
        }
        Plan {
            tenants,
            clocks: clocks.map(Arc::new),
        }
    }

    /// With a calendar, each tenant's zone in group `g`: exactly
    /// round(cumulative share × count) tenants up to each zone, in a random
    /// order of the group's own (SPEC §1's selection rule), so that moving
    /// share between two zones moves only the tenants at their border.
    fn zones(scenario: &Scenario, g: usize, streams: &Streams) -> Option<Vec<u32>> {
        let group = &scenario.groups[g];
        let clock = group.clock.as_ref()?;
        let order = permutation(group.count, &mut streams.stream(Purpose::Selection, g as u64, 2));
        let mut bounds = Vec::with_capacity(clock.zones.len());
        let mut cumulative = 0.0;
        for z in &clock.zones {
            cumulative += z.share;
            bounds.push(selected_count(cumulative.min(1.0), group.count));
        }
        *bounds.last_mut().expect("a group has a zone") = group.count;
        Some(
            order
                .iter()
                .map(|&rank| bounds.partition_point(|&b| b <= rank) as u32)
                .collect(),
        )
    }

    /// Whether tenant `t` takes part in a change of `share`.
    pub fn in_change(&self, scenario: &Scenario, t: usize, share: f64) -> bool {
        let p = self.tenants[t];
        p.rank < selected_count(share, scenario.groups[p.group as usize].count)
    }
}
