//! Which tenants are under MDM and which take part in each policy change.
//!
//! Drawn once per replication for the whole population, so that every pool
//! sees the same selection whichever thread runs it.

use crate::engine::{Purpose, Streams};
use crate::scenario::Scenario;
use rand::Rng;

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
}

/// Tenants numbered from 0 in file order across all groups.
#[derive(Clone, Debug)]
pub struct Plan {
    /// One entry per tenant.
    pub tenants: Vec<TenantPlan>,
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
        for (g, group) in scenario.groups.iter().enumerate() {
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
                });
            }
        }
        Plan { tenants }
    }

    /// Whether tenant `t` takes part in a change of `share`.
    pub fn in_change(&self, scenario: &Scenario, t: usize, share: f64) -> bool {
        let p = self.tenants[t];
        p.rank < selected_count(share, scenario.groups[p.group as usize].count)
    }
}
