//! One node of the apply graph: evaluate the block with what is known now, journal the
//! intent, call the driver (retrying, and after an ambiguous failure looking for what the call
//! made before trying again), and journal the result.
//!
//! Invariant: no operation here retries a driver call — the transport (`providers::http`)
//! is the one retry layer. The only loop is `create_or_adopt`'s look-up-then-try-again after
//! an ambiguous create failure, which the transport hands back instead of retrying.
//! Failures stay typed ([`Error`]) up to the executor and the summary.

use super::failure::{Cause, Error};
use super::{Node, Op, Shared};
use crate::address::Address;
use crate::config::validate::check_block_values;
use crate::diag::Diagnostics;
use crate::plan::diff::equivalent;
use crate::plan::refresh::intent_key;
use crate::plan::sensitive;
use crate::plan::Action;
use crate::providers::http::RetryPolicy;
use crate::providers::{CallCx, CreateRequest, Progress, ProviderError, ResourceDriver};
use crate::state::journal::Entry;
use crate::state::{Made, Object, ResourceState};
use crate::value::{Map, Path, Value};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Forwards status changes of long waits to the reporter (on change, or every 10 s).
struct Waiting<'a> {
    shared: &'a Shared,
    verb: &'static str,
    started: Instant,
    last: Mutex<(String, Instant)>,
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

pub async fn run(s: &Shared, n: &Node) -> Result<&'static str, Error> {
    match &n.op {
        Op::Apply => apply(s, &n.addr).await,
        Op::Destroy => destroy(s, &n.addr, None).await,
        Op::DestroyDeposed(id) => destroy(s, &n.addr, Some(id.clone())).await,
    }
}

fn verb_of(action: Action, cloning: bool, bind: bool) -> &'static str {
    match action {
        Action::Update => "update",
        Action::Read => "read",
        _ if bind => "bind",
        _ if cloning => "clone",
        _ => "create",
    }
}

fn with_id(mut attrs: Map, id: &str) -> Value {
    attrs
        .entry("id".to_string())
        .or_insert_with(|| Value::str(id));
    Value::Map(attrs)
}

async fn apply(s: &Shared, addr: &Address) -> Result<&'static str, Error> {
    let change = s
        .change(addr, None)
        .ok_or_else(|| format!("{addr} is not in the plan"))?;
    let block = s
        .cfg
        .resources
        .get(addr)
        .ok_or_else(|| format!("{addr} is not in the configuration"))?;
    let evaluated = {
        let objects = s.objects.lock().map_err(|_| "scope poisoned")?;
        let mut diags = Diagnostics::default();
        let r = check_block_values(
            block,
            &*objects,
            &s.cfg.file_path(block.file),
            &block.yaml_path(),
            &addr.to_string(),
            &mut diags,
        );
        if diags.has_errors() {
            s.cfg.resolve_lines(&mut diags);
            return Err(diags.to_string().into());
        }
        r.ok_or_else(|| "the arguments could not be evaluated".to_string())?
    };
    let (mut args, clone, var_sens) = evaluated;
    if args.values().any(Value::has_unknown)
        || clone
            .as_ref()
            .is_some_and(|c| c.values().any(Value::has_unknown))
    {
        return Err(Error::from(
            "some arguments are still unknown at apply time (a dependency did not produce them)",
        ));
    }
    let schema = block.schema;
    schema.apply_defaults(&mut args);
    change.check_agrees(&args, clone.clone().map(Value::Map).as_ref())?;
    let mut sens_paths = schema.sensitive_paths();
    for p in var_sens {
        if !sens_paths.contains(&p) {
            sens_paths.push(p);
        }
    }
    let bind = schema.verb == crate::schema::Verb::Bind;
    let verb = verb_of(change.action, clone.is_some(), bind);
    let started = Instant::now();
    s.reporter.start(addr, verb);
    let waiting = Waiting {
        shared: s,
        verb,
        started,
        last: Mutex::new((String::new(), Instant::now())),
    };
    let op_name = match verb {
        "update" => "update",
        "read" => "read",
        _ => "create",
    };
    let node = Work {
        s,
        addr,
        cx: CallCx {
            addr,
            timeout: block.timeout(op_name),
            progress: &waiting,
        },
        verb,
        args,
        clone,
        sens_paths,
        deps: block.dependencies(),
    };
    let result = match verb {
        "read" => node.read_data().await,
        "update" => node.update().await,
        _ => {
            if change.action == Action::Replace && change.create_before_destroy {
                s.record(vec![Entry::Depose { addr: addr.clone() }]).await?;
            }
            node.create().await
        }
    };
    match result {
        Ok(id) => {
            s.reporter.done(addr, verb, &id, started.elapsed());
            Ok(change.action.as_str())
        }
        Err(e) => {
            s.reporter.failed(addr, verb, &e);
            Err(e.during(verb))
        }
    }
}

/// One apply node's work, once its block is evaluated with known values.
struct Work<'a> {
    s: &'a Shared,
    addr: &'a Address,
    cx: CallCx<'a>,
    verb: &'static str,
    args: Map,
    clone: Option<Map>,
    sens_paths: Vec<Path>,
    deps: Vec<Address>,
}

/// What to record about an object.
struct Record {
    id: String,
    attrs: Map,
    made: Made,
    intent: Option<String>,
    tainted: bool,
}

/// What a create made, or what was found (and finished) after its answer was lost.
struct Adopted {
    id: String,
    attributes: Map,
}

impl Work<'_> {
    /// Record an object in state (secrets masked, fingerprinted) and in the scope.
    async fn store(&self, mut r: Record) -> Result<(), Error> {
        // References and the planner's state fallback read `id` from the attributes.
        r.attrs
            .entry("id".to_string())
            .or_insert_with(|| Value::str(&r.id));
        let key = self.s.base.fingerprint_key();
        let mut desired = Value::Map(self.args.clone());
        let fp_desired = sensitive::mask(&mut desired, &self.sens_paths, &key);
        let mut masked = Value::Map(r.attrs.clone());
        let mut fps = sensitive::mask(&mut masked, &self.sens_paths, &key);
        fps.extend(fp_desired);
        let mut resource = ResourceState::new(
            self.addr,
            Object {
                id: r.id.clone(),
                attributes: masked,
                made: r.made,
                sensitive: fps,
            },
            self.deps.clone(),
        );
        resource.tainted = r.tainted;
        self.s
            .record(vec![Entry::Put {
                addr: self.addr.clone(),
                resource,
                intent: r.intent,
            }])
            .await?;
        if !self.s.referenced.contains(self.addr) {
            return Ok(()); // nothing refers to it: no need to keep it in the scope
        }
        // In memory, references see the real values (secrets included, marked sensitive).
        let mut scope_value = with_id(r.attrs, &r.id);
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
        let driver = self.s.providers.data(&self.addr.ty)?;
        let mut attrs = driver.read(&self.cx, &self.args).await?;
        for (k, v) in &self.args {
            attrs.entry(k.clone()).or_insert_with(|| v.clone());
        }
        let id = attrs
            .get("id")
            .and_then(Value::scalar_text)
            .unwrap_or_default();
        self.store(Record {
            id: id.clone(),
            attrs,
            made: Made::Read,
            intent: None,
            tainted: false,
        })
        .await?;
        Ok(id)
    }

    async fn create(&self) -> Result<String, Error> {
        let s = self.s;
        let addr = self.addr;
        let driver = s.providers.resource(&addr.ty)?;
        let clone = self.clone.as_ref();
        let natural = driver.natural_key(&self.args, clone);
        let token = uuid::Uuid::new_v4().simple().to_string();
        let intent = uuid::Uuid::new_v4().to_string();
        let clone_v = clone.cloned().map(Value::Map);
        s.record(vec![Entry::Intent {
            id: intent.clone(),
            addr: addr.clone(),
            action: self.verb.to_string(),
            key: intent_key(
                sensitive::withhold(
                    natural.clone(),
                    &Value::Map(self.args.clone()),
                    &self.sens_paths,
                    &s.base.fingerprint_key(),
                ),
                clone_v.as_ref(),
                &self.deps,
                &self.sens_paths,
                None,
            ),
            token: token.clone(),
        }])
        .await?;
        let made = match self.verb {
            "clone" => Made::Cloned {
                from: clone_v.clone().unwrap_or_default(),
            },
            "bind" => Made::Bound,
            _ => Made::Created,
        };
        let req = CreateRequest {
            args: &self.args,
            clone,
            token: &token,
        };
        crate::util::checkpoint("intent_written");
        match create_or_adopt(driver.as_ref(), &self.cx, &req, &natural).await {
            Ok((created, adopted)) => {
                crate::util::checkpoint("call_returned");
                let mut attrs = created.attributes;
                if adopted {
                    s.reporter.note(&format!(
                        "{addr}: the {} call's answer was lost; found {} and adopted it",
                        self.verb, created.id
                    ));
                    attrs =
                        converge(driver.as_ref(), &self.cx, &created.id, attrs, &self.args).await?;
                }
                self.store(Record {
                    id: created.id.clone(),
                    attrs,
                    made,
                    intent: Some(intent),
                    tainted: false,
                })
                .await?;
                Ok(created.id)
            }
            Err(e) => {
                if let Some(id) = &e.made_id {
                    // Made, but not finished: keep it in state, tainted, so it is never
                    // orphaned and the next plan replaces it.
                    let attrs = match driver.read(&self.cx, id, &self.args).await {
                        Ok(Some(a)) => a,
                        _ => Map::new(),
                    };
                    self.store(Record {
                        id: id.clone(),
                        attrs,
                        made,
                        intent: Some(intent),
                        tainted: true,
                    })
                    .await?;
                    let id = id.clone();
                    return Err(Cause::Tainted { error: e, id }.into());
                }
                if !e.ambiguous {
                    s.record(vec![Entry::Settle { intent }]).await?;
                }
                Err(e.into())
            }
        }
    }

    async fn update(&self) -> Result<String, Error> {
        let s = self.s;
        let addr = self.addr;
        let driver = s.providers.resource(&addr.ty)?;
        let prior = s
            .state
            .lock()
            .map_err(|_| "state poisoned")?
            .resources
            .get(addr)
            .cloned()
            .ok_or_else(|| format!("{addr} is not in state"))?;
        let prior_map = prior.attributes.as_map().cloned().unwrap_or_default();
        let intent = uuid::Uuid::new_v4().to_string();
        s.record(vec![Entry::Intent {
            id: intent.clone(),
            addr: addr.clone(),
            action: "update".into(),
            key: intent_key(
                Value::Null,
                None,
                &self.deps,
                &self.sens_paths,
                Some(&prior.id),
            ),
            token: String::new(),
        }])
        .await?;
        let r = driver
            .update(&self.cx, &prior.id, &prior_map, &self.args)
            .await;
        match r {
            Ok(attrs) => {
                self.store(Record {
                    id: prior.id.clone(),
                    attrs,
                    made: prior.made.clone(),
                    intent: Some(intent),
                    tainted: false,
                })
                .await?;
                Ok(prior.id.clone())
            }
            Err(e) => {
                // Record whatever part of the change was made.
                match driver.read(&self.cx, &prior.id, &prior_map).await {
                    Ok(Some(attrs)) => {
                        let mut masked = Value::Map(attrs);
                        let key = s.base.fingerprint_key();
                        let mut fps = sensitive::mask(&mut masked, &self.sens_paths, &key);
                        for (k, v) in &prior.sensitive {
                            fps.entry(k.clone()).or_insert_with(|| v.clone());
                        }
                        let mut r = prior.clone();
                        r.attributes = masked;
                        r.sensitive = fps;
                        s.record(vec![Entry::Put {
                            addr: addr.clone(),
                            resource: r,
                            intent: Some(intent),
                        }])
                        .await?;
                    }
                    _ => s.record(vec![Entry::Settle { intent }]).await?,
                }
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
        .filter(|a| a.settable() && !a.force_new && !a.sensitive)
        .any(|a| !equivalent(args.get(a.name), attrs.get(a.name)) && args.contains_key(a.name));
    if !differs || !schema.updatable {
        return Ok(attrs);
    }
    driver.update(cx, id, &attrs, args).await
}

async fn destroy(
    s: &Shared,
    addr: &Address,
    deposed: Option<String>,
) -> Result<&'static str, Error> {
    let change = match &deposed {
        Some(id) => s.change(addr, Some(id)),
        None => s.change(addr, None),
    }
    .ok_or_else(|| format!("{addr} is not in the plan"))?;
    // Under create_before_destroy the old object was deposed when its replacement started.
    let deposed = deposed.or_else(|| {
        (change.action == Action::Replace && change.create_before_destroy)
            .then(|| change.prior_id.clone())
            .flatten()
    });
    let prior = {
        let st = s.state.lock().map_err(|_| "state poisoned")?;
        match &deposed {
            Some(id) => st
                .deposed
                .iter()
                .find(|d| &d.addr == addr && &d.resource.id == id)
                .map(|d| d.resource.clone()),
            None => st.resources.get(addr).cloned(),
        }
    };
    let counted = if change.action == Action::Replace {
        ""
    } else {
        "delete"
    };
    let Some(prior) = prior else {
        return Ok(counted); // already gone
    };
    let driver = s.providers.resource(&addr.ty)?;
    let started = Instant::now();
    s.reporter.start(addr, "delete");
    let waiting = Waiting {
        shared: s,
        verb: "delete",
        started,
        last: Mutex::new((String::new(), Instant::now())),
    };
    let timeout = s
        .cfg
        .resources
        .get(addr)
        .map(|b| b.timeout("delete"))
        .or_else(|| {
            crate::schema::resource(&addr.ty).map(|sc| Duration::from_secs(sc.timeouts.delete_s))
        })
        .unwrap_or(Duration::from_secs(600));
    let cx = CallCx {
        addr,
        timeout,
        progress: &waiting,
    };
    let intent = uuid::Uuid::new_v4().to_string();
    let action = if deposed.is_some() {
        "delete_deposed"
    } else {
        "delete"
    };
    s.record(vec![Entry::Intent {
        id: intent.clone(),
        addr: addr.clone(),
        action: action.into(),
        key: intent_key(Value::Null, None, &[], &[], Some(&prior.id)),
        token: String::new(),
    }])
    .await?;
    let prior_map = prior.attributes.as_map().cloned().unwrap_or_default();
    let r = driver.delete(&cx, &prior.id, &prior_map).await;
    match r {
        Ok(()) => {
            let entry = match &deposed {
                Some(id) => Entry::RemoveDeposed {
                    addr: addr.clone(),
                    id: id.clone(),
                    intent: Some(intent),
                },
                None => Entry::Remove {
                    addr: addr.clone(),
                    intent: Some(intent),
                },
            };
            s.record(vec![entry]).await?;
            if deposed.is_none() && change.action == Action::Delete {
                if let Ok(mut o) = s.objects.lock() {
                    o.objects.remove(addr);
                }
            }
            s.reporter
                .done(addr, "delete", &prior.id, started.elapsed());
            Ok(counted)
        }
        Err(e) => {
            s.record(vec![Entry::Settle { intent }]).await?;
            let e = Error::from(e);
            s.reporter.failed(addr, "delete", &e);
            Err(e.during("delete"))
        }
    }
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
