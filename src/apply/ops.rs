//! One node of the apply graph: evaluate the block with what is known now, open an intent
//! (`recovery::Intent`), call the driver (after an ambiguous failure looking for what the call
//! made before trying again), and close the intent with the result.
//!
//! Invariant: no operation here retries a driver call — the transport (`providers::http`)
//! is the one retry layer. The only loop is `create_or_adopt`'s look-up-then-try-again after
//! an ambiguous create failure, which the transport hands back instead of retrying.
//! Failures stay typed ([`Error`]) up to the executor and the summary.

use super::failure::{Cause, Error};
use super::{Node, Op, Shared};
use crate::address::Address;
use crate::config::evaluate::evaluate as evaluate_block;
use crate::config::instances::{Each, InstanceScope};
use crate::config::Block;
use crate::diag::Diagnostics;
use crate::plan::diff::equivalent;
use crate::plan::{Action, Change};
use crate::providers::http::RetryPolicy;
use crate::providers::{CallCx, CreateRequest, Progress, ProviderError, ResourceDriver};
use crate::recovery::record::{record, reread, Masking, Returned};
use crate::recovery::{Intent, IntentKey};
use crate::state::journal::Entry;
use crate::state::{Made, ResourceState};
use crate::value::{Map, Path, Value};
use crate::verb::{IntentAction, Verb};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Forwards status changes of long waits to the reporter (on change, or every 10 s).
struct Waiting<'a> {
    shared: &'a Shared,
    verb: Verb,
    started: Instant,
    last: Mutex<(String, Instant)>,
}

impl<'a> Waiting<'a> {
    fn new(shared: &'a Shared, verb: Verb, started: Instant) -> Waiting<'a> {
        Waiting {
            shared,
            verb,
            started,
            last: Mutex::new((String::new(), Instant::now())),
        }
    }
}

impl Progress for Waiting<'_> {
    fn status(&self, addr: &Address, status: &str) {
        let Ok(mut last) = self.last.lock() else {
            return;
        };
        if last.0 != status || last.1.elapsed() >= Duration::from_secs(10) {
            *last = (status.to_string(), Instant::now());
            self.shared
                .reporter
                .status(addr, self.verb, status, self.started.elapsed());
        }
    }
}

/// Run one node. Returns the plan action it completes, as the summary counts it: `None` for
/// the destroy half of a replace (its apply half counts the replace).
pub async fn run(s: &Shared, n: &Node) -> Result<Option<Action>, Error> {
    match &n.op {
        Op::Apply => apply(s, &n.addr).await.map(Some),
        Op::Destroy => destroy(s, &n.addr, None).await,
        Op::DestroyDeposed(id) => destroy(s, &n.addr, Some(id.clone())).await,
    }
}

/// The verb of an apply node's call: a replacement is made the way a new object would be.
fn verb_of(change: &Change, block: &Block, cloning: bool) -> Verb {
    match change.action {
        Action::Update => Verb::Update,
        Action::Read => Verb::Read,
        _ if block.schema.verb == Verb::Bind => Verb::Bind,
        _ if cloning => Verb::Clone,
        _ => Verb::Create,
    }
}

fn with_id(mut attrs: Map, id: &str) -> Value {
    attrs
        .entry("id".to_string())
        .or_insert_with(|| Value::str(id));
    Value::Map(attrs)
}

/// Report a node's outcome (the id it made, changed or deleted, or why it failed).
fn report(
    s: &Shared,
    addr: &Address,
    verb: Verb,
    started: Instant,
    result: Result<String, Error>,
) -> Result<(), Error> {
    match result {
        Ok(id) => {
            s.reporter.done(addr, verb, &id, started.elapsed());
            Ok(())
        }
        Err(e) => {
            s.reporter.failed(addr, verb, &e);
            Err(e.during(verb))
        }
    }
}

/// A block evaluated for applying: arguments (defaults applied) and clone source, all known
/// and agreeing with the plan, and the sensitive paths.
struct Ready {
    args: Map,
    clone: Option<Map>,
    sens_paths: Vec<Path>,
}

fn evaluate(
    s: &Shared,
    block: &Block,
    each: Option<&Each>,
    change: &Change,
) -> Result<Ready, Error> {
    let ev = {
        let objects = s.objects.lock().map_err(|_| "scope poisoned")?;
        let mut diags = Diagnostics::default();
        let r = match each {
            Some(each) => {
                let scope = InstanceScope {
                    inner: &*objects,
                    each,
                };
                evaluate_block(&s.cfg, block, &scope, &mut diags)
            }
            None => evaluate_block(&s.cfg, block, &*objects, &mut diags),
        };
        if diags.has_errors() {
            s.cfg.resolve_lines(&mut diags);
            return Err(diags.to_string().into());
        }
        r.ok_or_else(|| "the arguments could not be evaluated".to_string())?
    };
    if !ev.known() {
        return Err(Error::from(
            "some arguments are still unknown at apply time (a dependency did not produce them)",
        ));
    }
    let sens_paths = ev.sensitive_paths(block.schema);
    let (mut args, clone) = (ev.args, ev.clone);
    block.schema.apply_defaults(&mut args);
    change.check_agrees(&args, clone.clone().map(Value::Map).as_ref())?;
    Ok(Ready {
        args,
        clone,
        sens_paths,
    })
}

async fn apply(s: &Shared, addr: &Address) -> Result<Action, Error> {
    let change = s
        .change(addr, None)
        .ok_or_else(|| format!("{addr} is not in the plan"))?;
    let (block, each) = s.instance(addr)?;
    let block = &block;
    let ev = evaluate(s, block, each.as_ref(), change)?;
    let verb = verb_of(change, block, ev.clone.is_some());
    let started = Instant::now();
    s.reporter.start(addr, verb);
    let waiting = Waiting::new(s, verb, started);
    let node = Work {
        s,
        addr,
        cx: CallCx {
            addr,
            timeout: block.timeout(verb),
            progress: &waiting,
        },
        verb,
        args: ev.args,
        clone: ev.clone,
        sens_paths: ev.sens_paths,
        deps: block.dependencies(),
    };
    let result = match verb {
        Verb::Read => node.read_data().await,
        Verb::Update => node.update().await,
        _ => node.replace_or_create(change).await,
    };
    report(s, addr, verb, started, result)?;
    Ok(change.action)
}

/// One apply node's work, once its block is evaluated with known values.
struct Work<'a> {
    s: &'a Shared,
    addr: &'a Address,
    cx: CallCx<'a>,
    verb: Verb,
    args: Map,
    clone: Option<Map>,
    sens_paths: Vec<Path>,
    deps: Vec<Address>,
}

/// What a create made, or what was found (and finished) after its answer was lost.
struct Adopted {
    id: String,
    attributes: Map,
}

impl Work<'_> {
    /// Journal a new intent for this node's call.
    async fn open(&self, action: IntentAction, key: IntentKey) -> Result<Intent, Error> {
        let intent = Intent::new(self.addr, action, key);
        self.s.record(vec![intent.open()]).await?;
        Ok(intent)
    }

    /// Record an object in state (secrets masked, fingerprinted), closing `intent`, and in
    /// the scope.
    async fn store(&self, returned: Returned, intent: Option<&Intent>) -> Result<(), Error> {
        let key = self.s.base.fingerprint_key();
        let masking = Masking {
            paths: &self.sens_paths,
            desired: Some(&self.args),
            fkey: &key,
        };
        let (id, attrs) = (returned.id.clone(), returned.attributes.clone());
        let provider = self.s.providers.config_of(self.addr);
        let resource = record(self.addr, returned, &masking, self.deps.clone(), provider);
        let entry = match intent {
            Some(i) => i.put(resource),
            None => Entry::Put {
                addr: self.addr.clone(),
                resource,
                intent: None,
            },
        };
        self.s.record(vec![entry]).await?;
        let referenced = &self.s.referenced;
        if !referenced.contains(self.addr) && !referenced.contains(&self.addr.block()) {
            return Ok(()); // nothing refers to it: no need to keep it in the scope
        }
        // In memory, references see the real values (secrets included, marked sensitive).
        let mut scope_value = with_id(attrs, &id);
        let args = Value::Map(self.args.clone());
        for p in &self.sens_paths {
            if let Some(v) = args.at(p) {
                scope_value.set_at(p, v.clone());
            }
        }
        self.s.objects.lock().map_err(|_| "scope poisoned")?.set(
            self.addr.clone(),
            scope_value,
            self.sens_paths.clone(),
        );
        Ok(())
    }

    async fn read_data(&self) -> Result<String, Error> {
        let driver = self.s.providers.data(self.addr)?;
        let mut attrs = driver.read(&self.cx, &self.args).await?;
        for (k, v) in &self.args {
            attrs.entry(k.clone()).or_insert_with(|| v.clone());
        }
        let id = attrs
            .get("id")
            .and_then(Value::scalar_text)
            .unwrap_or_default();
        let returned = Returned {
            id: id.clone(),
            attributes: attrs,
            made: Made::Read,
            tainted: false,
        };
        self.store(returned, None).await?;
        Ok(id)
    }

    /// Make the object; the old one of a create_before_destroy replacement is deposed first.
    async fn replace_or_create(&self, change: &Change) -> Result<String, Error> {
        if change.action == Action::Replace && change.create_before_destroy {
            let depose = Entry::Depose {
                addr: self.addr.clone(),
            };
            self.s.record(vec![depose]).await?;
        }
        self.create().await
    }

    async fn create(&self) -> Result<String, Error> {
        let driver = self.s.providers.resource(self.addr)?;
        let clone = self.clone.as_ref();
        let natural = driver.natural_key(&self.args, clone);
        let key = IntentKey::making(
            natural.clone(),
            &self.args,
            clone,
            &self.deps,
            &self.sens_paths,
            &self.s.base.fingerprint_key(),
        );
        let action = IntentAction::of(self.verb, false)
            .ok_or_else(|| format!("a {} makes nothing", self.verb))?;
        let intent = self.open(action, key).await?;
        let made = Made::by(self.verb, intent.key.clone.clone());
        let req = CreateRequest {
            args: &self.args,
            clone,
            token: &intent.token,
        };
        crate::util::checkpoint("intent_written");
        match create_or_adopt(driver.as_ref(), &self.cx, &req, &natural).await {
            Ok((created, adopted)) => {
                crate::util::checkpoint("call_returned");
                self.created(driver.as_ref(), created, adopted, made, &intent)
                    .await
            }
            Err(e) => self.create_failed(driver.as_ref(), e, made, &intent).await,
        }
    }

    /// Record what a create made (converging an adopted object with the config first).
    async fn created(
        &self,
        driver: &dyn ResourceDriver,
        created: Adopted,
        adopted: bool,
        made: Made,
        intent: &Intent,
    ) -> Result<String, Error> {
        let mut attrs = created.attributes;
        if adopted {
            self.s.reporter.note(&format!(
                "{}: the {} call's answer was lost; found {} and adopted it",
                self.addr, self.verb, created.id
            ));
            attrs = converge(driver, &self.cx, &created.id, attrs, &self.args).await?;
        }
        let returned = Returned {
            id: created.id.clone(),
            attributes: attrs,
            made,
            tainted: false,
        };
        self.store(returned, Some(intent)).await?;
        Ok(created.id)
    }

    /// A failed create: an object made but not finished is kept in state, tainted, so it is
    /// never orphaned and the next plan replaces it; a certain failure settles the intent; an
    /// ambiguous one leaves it open for the next run to reconcile.
    async fn create_failed(
        &self,
        driver: &dyn ResourceDriver,
        e: ProviderError,
        made: Made,
        intent: &Intent,
    ) -> Result<String, Error> {
        if let Some(id) = &e.made_id {
            let attributes = match driver.read(&self.cx, id, &self.args).await {
                Ok(Some(a)) => a,
                _ => Map::new(),
            };
            let returned = Returned {
                id: id.clone(),
                attributes,
                made,
                tainted: true,
            };
            self.store(returned, Some(intent)).await?;
            let id = id.clone();
            let error = Box::new(e);
            return Err(Cause::Tainted { error, id }.into());
        }
        if !e.ambiguous {
            self.s.record(vec![intent.settle()]).await?;
        }
        Err(e.into())
    }

    async fn update(&self) -> Result<String, Error> {
        let driver = self.s.providers.resource(self.addr)?;
        let prior = self
            .s
            .state
            .lock()
            .map_err(|_| "state poisoned")?
            .resources
            .get(self.addr)
            .cloned()
            .ok_or_else(|| format!("{} is not in state", self.addr))?;
        let prior_map = prior.attributes.as_map().cloned().unwrap_or_default();
        let key = IntentKey::of_object(&prior.id, &self.deps, &self.sens_paths);
        let intent = self.open(IntentAction::Update, key).await?;
        let r = driver
            .update(&self.cx, &prior.id, &prior_map, &self.args)
            .await;
        match r {
            Ok(attributes) => {
                let returned = Returned {
                    id: prior.id.clone(),
                    attributes,
                    made: prior.made.clone(),
                    tainted: false,
                };
                self.store(returned, Some(&intent)).await?;
                Ok(prior.id.clone())
            }
            Err(e) => {
                // Record whatever part of the change was made.
                let entry = match driver.read(&self.cx, &prior.id, &prior_map).await {
                    Ok(Some(attrs)) => {
                        let key = self.s.base.fingerprint_key();
                        intent.put(reread(&prior, attrs, &self.sens_paths, &key))
                    }
                    _ => intent.settle(),
                };
                self.s.record(vec![entry]).await?;
                Err(e.into())
            }
        }
    }
}

/// Create; after an ambiguous failure, look for what the call made before trying again.
/// Once an attempt may have landed, a refusal of a later attempt ("already exists", Commvault
/// 409 code 3, Huawei DBS.200001 …) is checked the same way: what the earlier attempt made is
/// adopted. A failing look-up fails the create as ambiguous, so its intent stays open and the
/// next run looks again; it is never taken for "not found".
async fn create_or_adopt(
    driver: &dyn ResourceDriver,
    cx: &CallCx<'_>,
    req: &CreateRequest<'_>,
    natural: &Value,
) -> Result<(Adopted, bool), ProviderError> {
    let policy = RetryPolicy::default();
    let mut may_have_landed = false;
    let mut n = 0;
    loop {
        let e = match driver.create(cx, req).await {
            Ok(c) => {
                let adopted = Adopted {
                    id: c.id,
                    attributes: c.attributes,
                };
                return Ok((adopted, false));
            }
            Err(e) if e.made_id.is_some() => return Err(e),
            Err(e) => e,
        };
        if !e.ambiguous && !may_have_landed {
            return Err(e);
        }
        if let Some(found) = look_for(driver, cx, req, natural).await? {
            return Ok((found, true));
        }
        if !e.ambiguous || n + 1 >= policy.attempts {
            return Err(e);
        }
        may_have_landed = true;
        tokio::time::sleep(policy.delay(n)).await;
        n += 1;
    }
}

/// What an earlier create attempt made, if it exists; an object found unfinished (still being
/// created, a clone not yet restored) is finished as the create would have finished it.
async fn look_for(
    driver: &dyn ResourceDriver,
    cx: &CallCx<'_>,
    req: &CreateRequest<'_>,
    natural: &Value,
) -> Result<Option<Adopted>, ProviderError> {
    let lookup_failed = |e: ProviderError| ProviderError {
        ambiguous: true,
        message: format!(
            "the create's answer was lost, and looking for what it made failed ({}); it is \
             looked for again on the next run",
            e.message
        ),
        ..e
    };
    let Some(found) = driver
        .find(cx, natural, req.token)
        .await
        .map_err(lookup_failed)?
    else {
        return Ok(None);
    };
    if !found.complete {
        let done = driver
            .finish(cx, &found.id, req)
            .await
            .map_err(|e| e.with_made(&found.id))?;
        return Ok(Some(Adopted {
            id: done.id,
            attributes: done.attributes,
        }));
    }
    let attributes = driver
        .read(cx, &found.id, req.args)
        .await
        .map_err(lookup_failed)?;
    Ok(attributes.map(|attributes| Adopted {
        id: found.id,
        attributes,
    }))
}

/// After adopting an object, bring what it holds in line with the config.
async fn converge(
    driver: &dyn ResourceDriver,
    cx: &CallCx<'_>,
    id: &str,
    attrs: Map,
    args: &Map,
) -> Result<Map, ProviderError> {
    let schema = driver.schema();
    let differs = schema
        .attrs
        .iter()
        .filter(|a| a.settable() && !a.always_replaces() && !a.sensitive)
        .any(|a| !equivalent(args.get(a.name), attrs.get(a.name)) && args.contains_key(a.name));
    if !differs || !schema.updatable {
        return Ok(attrs);
    }
    driver.update(cx, id, &attrs, args).await
}

/// The object a destroy node deletes: the address's, or one of its deposed objects.
fn prior_object(
    s: &Shared,
    addr: &Address,
    deposed: Option<&str>,
) -> Result<Option<ResourceState>, Error> {
    let st = s.state.lock().map_err(|_| "state poisoned")?;
    Ok(match deposed {
        Some(id) => st
            .deposed
            .iter()
            .find(|d| &d.addr == addr && d.resource.id == id)
            .map(|d| d.resource.clone()),
        None => st.resources.get(addr).cloned(),
    })
}

fn delete_timeout(s: &Shared, addr: &Address) -> Duration {
    s.cfg
        .block_of(addr)
        .map(|b| b.timeout(Verb::Delete))
        .or_else(|| {
            crate::schema::resource(&addr.ty).map(|sc| Duration::from_secs(sc.timeouts.delete_s))
        })
        .unwrap_or(Duration::from_secs(600))
}

async fn destroy(
    s: &Shared,
    addr: &Address,
    deposed: Option<String>,
) -> Result<Option<Action>, Error> {
    let change = s
        .change(addr, deposed.as_deref())
        .ok_or_else(|| format!("{addr} is not in the plan"))?;
    // Under create_before_destroy the old object was deposed when its replacement started.
    let deposed = deposed.or_else(|| {
        (change.action == Action::Replace && change.create_before_destroy)
            .then(|| change.prior_id.clone())
            .flatten()
    });
    let counted = (change.action != Action::Replace).then_some(Action::Delete);
    let Some(prior) = prior_object(s, addr, deposed.as_deref())? else {
        return Ok(counted); // already gone
    };
    let driver = s.providers.resource(addr)?;
    let started = Instant::now();
    s.reporter.start(addr, Verb::Delete);
    let waiting = Waiting::new(s, Verb::Delete, started);
    let cx = CallCx {
        addr,
        timeout: delete_timeout(s, addr),
        progress: &waiting,
    };
    let result = delete(s, &cx, driver.as_ref(), &prior, deposed.is_some()).await?;
    if result.is_ok() && deposed.is_none() && change.action == Action::Delete {
        if let Ok(mut o) = s.objects.lock() {
            o.objects.remove(addr);
        }
    }
    let result = result.map(|()| prior.id.clone()).map_err(Error::from);
    report(s, addr, Verb::Delete, started, result)?;
    Ok(counted)
}

/// Delete `prior` under an intent. The outer error is the journal's (the intent's outcome
/// could not be recorded), the inner one the call's.
async fn delete(
    s: &Shared,
    cx: &CallCx<'_>,
    driver: &dyn ResourceDriver,
    prior: &ResourceState,
    deposed: bool,
) -> Result<Result<(), ProviderError>, Error> {
    let action = if deposed {
        IntentAction::DeleteDeposed
    } else {
        IntentAction::Delete
    };
    let intent = Intent::new(cx.addr, action, IntentKey::of_object(&prior.id, &[], &[]));
    s.record(vec![intent.open()]).await?;
    let prior_map = prior.attributes.as_map().cloned().unwrap_or_default();
    let r = driver.delete(cx, &prior.id, &prior_map).await;
    let closing = match &r {
        Ok(()) => intent.removed(),
        Err(_) => intent.settle(),
    };
    s.record(vec![closing]).await?;
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::{Created, Found, NoProgress, Result as PResult};
    use crate::schema::Schema;
    use async_trait::async_trait;

    /// A cloud whose answers are scripted: every create makes the object (once) and then
    /// answers the next of `creates`; every look-up answers the next of `finds` — `Ok(None)`:
    /// not visible yet, `Ok(Some(complete))`: the object made.
    struct Scripted {
        made: Mutex<Option<String>>,
        creates: Mutex<Vec<ProviderError>>,
        finds: Mutex<Vec<PResult<Option<bool>>>>,
        finished: Mutex<u32>,
    }

    fn err(code: &str, ambiguous: bool) -> ProviderError {
        ProviderError {
            ambiguous,
            ..ProviderError::new(code, "scripted")
        }
    }

    fn next<T>(list: &Mutex<Vec<T>>) -> T {
        let mut l = list.lock().unwrap();
        assert!(!l.is_empty(), "a call the script did not expect");
        l.remove(0)
    }

    #[async_trait]
    impl ResourceDriver for Scripted {
        fn schema(&self) -> &'static Schema {
            &crate::schema::huaweicloud::TEMPLATE
        }
        async fn create(&self, _: &CallCx<'_>, _: &CreateRequest<'_>) -> PResult<Created> {
            let mut made = self.made.lock().unwrap();
            made.get_or_insert_with(|| "obj-1".into());
            drop(made);
            Err(next(&self.creates))
        }
        async fn read(&self, _: &CallCx<'_>, id: &str, _: &Map) -> PResult<Option<Map>> {
            Ok(Some(Map::from([("id".to_string(), Value::str(id))])))
        }
        async fn update(&self, _: &CallCx<'_>, _: &str, p: &Map, _: &Map) -> PResult<Map> {
            Ok(p.clone())
        }
        async fn delete(&self, _: &CallCx<'_>, _: &str, _: &Map) -> PResult<()> {
            Ok(())
        }
        fn natural_key(&self, _: &Map, _: Option<&Map>) -> Value {
            Value::str("name")
        }
        async fn find(&self, _: &CallCx<'_>, _: &Value, _: &str) -> PResult<Option<Found>> {
            let made = self.made.lock().unwrap().clone();
            Ok(next(&self.finds)?.and_then(|complete| made.map(|id| Found { id, complete })))
        }
        async fn finish(
            &self,
            cx: &CallCx<'_>,
            id: &str,
            req: &CreateRequest<'_>,
        ) -> PResult<Created> {
            *self.finished.lock().unwrap() += 1;
            let attributes = self.read(cx, id, req.args).await?.unwrap_or_default();
            let made = crate::state::Made::Created;
            Ok(Created {
                id: id.into(),
                attributes,
                made,
            })
        }
    }

    fn scripted(creates: Vec<ProviderError>, finds: Vec<PResult<Option<bool>>>) -> Scripted {
        Scripted {
            made: Mutex::new(None),
            creates: Mutex::new(creates),
            finds: Mutex::new(finds),
            finished: Mutex::new(0),
        }
    }

    async fn run(d: &Scripted) -> Result<(Adopted, bool), ProviderError> {
        let addr = Address::managed("huaweicloud_rds_parameter_template", "t");
        let cx = CallCx {
            addr: &addr,
            timeout: Duration::from_secs(5),
            progress: &NoProgress,
        };
        let args = Map::new();
        let req = CreateRequest {
            args: &args,
            clone: None,
            token: "tok",
        };
        create_or_adopt(d, &cx, &req, &Value::str("name")).await
    }

    /// The first create lands but its answer is lost and the object is not visible yet; the
    /// retry is refused as a duplicate: what the first attempt made is adopted.
    #[tokio::test]
    async fn a_duplicate_refusal_after_a_lost_answer_adopts_what_the_first_attempt_made() {
        let creates = vec![err("InternalError", true), err("DBS.200001", false)];
        let d = scripted(creates, vec![Ok(None), Ok(Some(true))]);
        let (adopted, lost) = run(&d).await.expect("adopted");
        assert!(lost);
        assert_eq!(adopted.id, "obj-1");
    }

    /// A refusal of the first attempt is someone else's object: never adopted, never looked for.
    #[tokio::test]
    async fn a_first_refusal_is_not_adopted() {
        let d = scripted(vec![err("DBS.200001", false)], vec![]);
        let e = run(&d).await.err().expect("refused");
        assert_eq!(e.code, "DBS.200001");
    }

    #[tokio::test]
    async fn a_failing_look_up_fails_as_ambiguous_and_never_creates_again() {
        let d = scripted(
            vec![err("InternalError", true)],
            vec![Err(err("Throttling", false))],
        );
        let e = run(&d).await.err().expect("failed");
        assert!(e.ambiguous, "the intent must stay open: {e}");
        assert!(e.message.contains("looking for what it made failed"), "{e}");
        assert!(d.creates.lock().unwrap().is_empty(), "one create only");
    }

    #[tokio::test]
    async fn an_object_found_unfinished_is_finished_not_tainted() {
        let d = scripted(vec![err("InternalError", true)], vec![Ok(Some(false))]);
        let (adopted, lost) = run(&d).await.expect("finished");
        assert!(lost);
        assert_eq!(adopted.id, "obj-1");
        assert_eq!(*d.finished.lock().unwrap(), 1);
    }
}
