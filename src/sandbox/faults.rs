//! Fault injection for the sandbox, from `STRATA_SANDBOX`
//! (`latency_ms=200,fail_rate=0.2,throttle_rate=0.1,async_ms=500,seed=7`): latency on every
//! call, throttling, and 5xx failures — half before the call takes effect, half after (the
//! response is lost), so clients must cope with both. Also the sandbox's clocks: how long
//! asynchronous operations take (`async_ms`), how long an idle session token lives
//! (`token_ttl_ms`, Commvault's 30 minutes by default) and the longest a temporary credential
//! lives (`sts_ttl_ms`: Alibaba STS and Huawei IAM security tokens, at most what was asked
//! for; unset, exactly what was asked for), so tests can make them short.
//! Targeted faults for tests that need one exact failure: `lose=CreateDBInstance` lets the
//! first call whose name (`METHOD /route Action`) contains that text take effect and answers
//! it with a 5xx; `fail=DescribeDBInstances*2` fails the first two such calls before they take
//! effect. Several rules are joined with `+`.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::sync::Mutex;
use std::time::Duration;

#[derive(Debug, Clone, PartialEq)]
pub struct FaultSpec {
    pub latency_ms: u64,
    pub fail_rate: f64,
    pub throttle_rate: f64,
    /// How long asynchronous operations (instance creation, restore) take.
    pub async_ms: u64,
    /// How long a session token (Commvault) stays valid without being used.
    pub token_ttl_ms: u64,
    /// The longest a temporary credential (STS, IAM security tokens) lives.
    pub sts_ttl_ms: Option<u64>,
    pub seed: Option<u64>,
    /// Calls whose answer is lost (they take effect, then a 5xx).
    pub lose: Vec<Targeted>,
    /// Calls that fail with a 5xx before taking effect.
    pub fail: Vec<Targeted>,
}

/// A fault for the first `times` calls whose name contains `call`.
#[derive(Debug, Clone, PartialEq)]
pub struct Targeted {
    pub call: String,
    pub times: u32,
}

fn parse_targeted(v: &str) -> Result<Vec<Targeted>, String> {
    v.split('+')
        .map(|rule| {
            let (call, times) = match rule.split_once('*') {
                Some((c, n)) => (
                    c,
                    n.parse()
                        .map_err(|_| format!("\"{rule}\": expected NAME*COUNT"))?,
                ),
                None => (rule, 1),
            };
            if call.is_empty() {
                return Err(format!("\"{rule}\": expected a call name"));
            }
            Ok(Targeted {
                call: call.to_string(),
                times,
            })
        })
        .collect()
}

impl Default for FaultSpec {
    fn default() -> Self {
        FaultSpec {
            latency_ms: 0,
            fail_rate: 0.0,
            throttle_rate: 0.0,
            async_ms: 300,
            token_ttl_ms: 30 * 60 * 1000,
            sts_ttl_ms: None,
            seed: None,
            lose: Vec::new(),
            fail: Vec::new(),
        }
    }
}

impl FaultSpec {
    pub fn parse(s: &str) -> Result<FaultSpec, String> {
        let mut f = FaultSpec::default();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (k, v) = part
                .split_once('=')
                .ok_or_else(|| format!("STRATA_SANDBOX: \"{part}\" is not key=value"))?;
            let bad = |what: &str| format!("STRATA_SANDBOX: {k}={v}: expected {what}");
            match k {
                "latency_ms" => f.latency_ms = v.parse().map_err(|_| bad("milliseconds"))?,
                "async_ms" => f.async_ms = v.parse().map_err(|_| bad("milliseconds"))?,
                "token_ttl_ms" => f.token_ttl_ms = v.parse().map_err(|_| bad("milliseconds"))?,
                "sts_ttl_ms" => f.sts_ttl_ms = Some(v.parse().map_err(|_| bad("milliseconds"))?),
                "seed" => f.seed = Some(v.parse().map_err(|_| bad("an integer"))?),
                "lose" => f.lose = parse_targeted(v).map_err(|e| bad(&e))?,
                "fail" => f.fail = parse_targeted(v).map_err(|e| bad(&e))?,
                "fail_rate" | "throttle_rate" => {
                    let r: f64 = v.parse().map_err(|_| bad("a rate from 0 to 1"))?;
                    if !(0.0..=1.0).contains(&r) {
                        return Err(bad("a rate from 0 to 1"));
                    }
                    if k == "fail_rate" {
                        f.fail_rate = r;
                    } else {
                        f.throttle_rate = r;
                    }
                }
                _ => {
                    return Err(format!(
                        "STRATA_SANDBOX: unknown setting \"{k}\" (settings: latency_ms, \
                         fail_rate, throttle_rate, async_ms, token_ttl_ms, sts_ttl_ms, seed, lose, \
                         fail)"
                    ))
                }
            }
        }
        Ok(f)
    }

    pub fn from_env() -> Result<FaultSpec, String> {
        match std::env::var("STRATA_SANDBOX") {
            Ok(s) => FaultSpec::parse(&s),
            Err(_) => Ok(FaultSpec::default()),
        }
    }
}

/// What to do with one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    None,
    Throttle,
    /// Fail before the call takes effect.
    FailBefore,
    /// Let the call take effect, then answer 5xx.
    FailAfter,
}

pub struct Faults {
    pub spec: FaultSpec,
    rng: Mutex<StdRng>,
    /// How many calls each targeted rule (`lose` then `fail`) has hit.
    hits: Mutex<Vec<u32>>,
}

impl Faults {
    pub fn new(spec: FaultSpec) -> Faults {
        let rng = match spec.seed {
            Some(s) => StdRng::seed_from_u64(s),
            None => StdRng::from_os_rng(),
        };
        let rules = spec.lose.len() + spec.fail.len();
        Faults {
            spec,
            rng: Mutex::new(rng),
            hits: Mutex::new(vec![0; rules]),
        }
    }

    pub fn latency(&self) -> Duration {
        Duration::from_millis(self.spec.latency_ms)
    }

    /// The fault for the call named `call` (`METHOD /route Action`).
    pub fn roll(&self, call: &str, mutating: bool) -> Fault {
        if let Some(f) = self.targeted(call) {
            return f;
        }
        if self.spec.fail_rate == 0.0 && self.spec.throttle_rate == 0.0 {
            return Fault::None;
        }
        let mut rng = self.rng.lock().unwrap_or_else(|e| e.into_inner());
        if rng.random_bool(self.spec.throttle_rate) {
            return Fault::Throttle;
        }
        if rng.random_bool(self.spec.fail_rate) {
            return if mutating && rng.random_bool(0.5) {
                Fault::FailAfter
            } else {
                Fault::FailBefore
            };
        }
        Fault::None
    }
}

impl Faults {
    fn targeted(&self, call: &str) -> Option<Fault> {
        let rules = self.spec.lose.iter().map(|t| (t, Fault::FailAfter));
        let rules = rules.chain(self.spec.fail.iter().map(|t| (t, Fault::FailBefore)));
        let mut hits = self.hits.lock().unwrap_or_else(|e| e.into_inner());
        for (i, (t, fault)) in rules.enumerate() {
            if call.contains(t.call.as_str()) && hits[i] < t.times {
                hits[i] += 1;
                return Some(fault);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_settings_and_refuses_nonsense() {
        let f =
            FaultSpec::parse("latency_ms=200,fail_rate=0.2,throttle_rate=0.1,async_ms=500,seed=7")
                .unwrap();
        assert_eq!(f.latency_ms, 200);
        assert_eq!(f.seed, Some(7));
        assert_eq!(f.token_ttl_ms, 30 * 60 * 1000);
        assert_eq!(
            FaultSpec::parse("token_ttl_ms=250").unwrap().token_ttl_ms,
            250
        );
        assert_eq!(f.sts_ttl_ms, None);
        assert_eq!(
            FaultSpec::parse("sts_ttl_ms=1500").unwrap().sts_ttl_ms,
            Some(1500)
        );
        assert!(FaultSpec::parse("fail_rate=2").is_err());
        assert!(FaultSpec::parse("bogus=1").is_err());
        assert!(FaultSpec::parse("latency_ms").is_err());
    }

    #[test]
    fn seeded_rolls_repeat_and_rates_hold() {
        let spec = FaultSpec::parse("fail_rate=0.3,throttle_rate=0.2,seed=1").unwrap();
        let a = Faults::new(spec.clone());
        let b = Faults::new(spec);
        let ra: Vec<Fault> = (0..200).map(|_| a.roll("POST /x", true)).collect();
        let rb: Vec<Fault> = (0..200).map(|_| b.roll("POST /x", true)).collect();
        assert_eq!(ra, rb);
        let none = ra.iter().filter(|f| **f == Fault::None).count();
        assert!(none > 60 && none < 140, "{none}");
        assert!(ra.contains(&Fault::FailAfter));
    }

    #[test]
    fn targeted_faults_hit_the_named_calls_as_often_as_asked() {
        let f =
            Faults::new(FaultSpec::parse("lose=CreateDBInstance+Create,fail=Describe*2").unwrap());
        let c = "POST / CreateDBInstance";
        assert_eq!(f.roll(c, true), Fault::FailAfter);
        assert_eq!(
            f.roll(c, true),
            Fault::FailAfter,
            "the second rule matches too"
        );
        assert_eq!(f.roll(c, true), Fault::None);
        let d = "POST / DescribeDBInstances";
        assert_eq!(f.roll(d, false), Fault::FailBefore);
        assert_eq!(f.roll(d, false), Fault::FailBefore);
        assert_eq!(f.roll(d, false), Fault::None);
        assert!(FaultSpec::parse("lose=X*many").is_err());
        assert!(FaultSpec::parse("fail=").is_err());
    }
}
