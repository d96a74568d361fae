// c1-go-sdk drives syncplane with the official ConductorOne Go SDK
// (github.com/conductorone/conductorone-sdk-go v1.27.1, unmodified), the way a
// C1 client pointed at a self-hosted endpoint would: connector Get and List,
// then the five seed operations of ConnectorService, checking what each one
// answers and what the connector reads back afterwards.
//
// It prints one JSON line per step on stdout,
//
//	{"step":"pause","ok":true,"details":{...}}
//
// and exits 0 only when every step passed. The first step that fails prints
// its line with "ok":false and an "error", the program stops (later steps
// depend on the state earlier ones leave), names the step on stderr and exits
// 1. Bad usage exits 2. test/interop/go-sdk.test.ts runs it and checks the
// details against the server's own view.
//
// Authentication, by --auth:
//   - bearer: a token obtained elsewhere, set as both Security.BearerAuth and
//     Security.Oauth (as the C1 API docs' samples do; the SDK writes the
//     Authorization header once per field, so an empty Oauth would overwrite
//     it with "Bearer " alone);
//   - credentials: the SDK's own NewWithCredentials, which signs an Ed25519
//     client assertion with the client secret and exchanges it at
//     /auth/v1/token.
//
// Both trust the server's certificate through the system roots, so a test CA
// comes in through SSL_CERT_FILE.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"time"

	c1 "github.com/conductorone/conductorone-sdk-go"
	"github.com/conductorone/conductorone-sdk-go/pkg/models/operations"
	"github.com/conductorone/conductorone-sdk-go/pkg/models/sdkerrors"
	"github.com/conductorone/conductorone-sdk-go/pkg/models/shared"
)

// gRPC codes as grpc-gateway writes them in error bodies.
const (
	codeInvalidArgument    = 3
	codeNotFound           = 5
	codeFailedPrecondition = 9
)

type options struct {
	serverURL    string
	appID        string
	connectorID  string
	heldSyncID   string
	auth         string
	token        string
	clientID     string
	clientSecret string
	cronSpec     string
	timezone     string
	timeout      time.Duration
}

func main() {
	opts, err := parseOptions(os.Args[1:])
	if err != nil {
		fmt.Fprintf(os.Stderr, "c1-go-sdk: %v\n", err)
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), opts.timeout)
	defer cancel()
	sdk, err := newSDK(ctx, opts)
	if err != nil {
		report(step{name: "client", err: err})
		fmt.Fprintf(os.Stderr, "c1-go-sdk: could not set up the SDK client: %v\n", err)
		os.Exit(1)
	}
	d := &driver{sdk: sdk, opts: opts}
	for _, s := range d.steps() {
		details, err := s.run(ctx)
		report(step{name: s.name, details: details, err: err})
		if err != nil {
			fmt.Fprintf(os.Stderr, "c1-go-sdk: step %q failed: %v\n", s.name, err)
			os.Exit(1)
		}
	}
}

// parseOptions reads flags, each defaulting to an environment variable so that
// secrets need not appear on the command line.
func parseOptions(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("c1-go-sdk", flag.ContinueOnError)
	env := os.Getenv
	fs.StringVar(&o.serverURL, "server-url", env("SERVER_URL"), "syncplane base URL, https://host:port (SERVER_URL)")
	fs.StringVar(&o.appID, "app-id", env("APP_ID"), "app id (APP_ID)")
	fs.StringVar(&o.connectorID, "connector-id", env("CONNECTOR_ID"), "connector id (CONNECTOR_ID)")
	fs.StringVar(&o.heldSyncID, "held-sync-id", env("HELD_SYNC_ID"), "a sync of the connector held in ERRORED_NO_DATA (HELD_SYNC_ID)")
	fs.StringVar(&o.auth, "auth", env("AUTH_MODE"), `"bearer" or "credentials" (AUTH_MODE)`)
	fs.StringVar(&o.token, "token", env("BEARER_TOKEN"), "access token for --auth bearer (BEARER_TOKEN)")
	fs.StringVar(&o.clientID, "client-id", env("CLIENT_ID"), "client id for --auth credentials (CLIENT_ID)")
	fs.StringVar(&o.clientSecret, "client-secret", env("CLIENT_SECRET"), "client secret for --auth credentials (CLIENT_SECRET)")
	fs.StringVar(&o.cronSpec, "cron-spec", "30 2 * * 1-5", "cron spec that UpdateConnectorSchedule sets")
	fs.StringVar(&o.timezone, "timezone", "Europe/Berlin", "time zone that UpdateConnectorSchedule sets")
	fs.DurationVar(&o.timeout, "timeout", 150*time.Second, "bound on the whole run")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	missing := []string{}
	need := func(value, name string) {
		if value == "" {
			missing = append(missing, name)
		}
	}
	need(o.serverURL, "--server-url")
	need(o.appID, "--app-id")
	need(o.connectorID, "--connector-id")
	need(o.heldSyncID, "--held-sync-id")
	switch o.auth {
	case "bearer":
		need(o.token, "--token")
	case "credentials":
		need(o.clientID, "--client-id")
		need(o.clientSecret, "--client-secret")
	default:
		return o, fmt.Errorf(`--auth must be "bearer" or "credentials", got %q`, o.auth)
	}
	if len(missing) > 0 {
		return o, fmt.Errorf("missing %s", strings.Join(missing, ", "))
	}
	if u, err := url.Parse(o.serverURL); err != nil || u.Scheme != "https" || u.Host == "" {
		return o, fmt.Errorf("--server-url must be an https:// URL, got %q", o.serverURL)
	}
	return o, nil
}

func newSDK(ctx context.Context, o options) (*c1.ConductoroneAPI, error) {
	if o.auth == "bearer" {
		return c1.New(
			c1.WithServerURL(o.serverURL),
			c1.WithSecurity(shared.Security{BearerAuth: o.token, Oauth: o.token}),
			c1.WithTimeout(60*time.Second),
		), nil
	}
	tenant, err := c1.WithTenantCustom(o.serverURL)
	if err != nil {
		return nil, err
	}
	return c1.NewWithCredentials(ctx, &c1.ClientCredentials{
		ClientID:     o.clientID,
		ClientSecret: o.clientSecret,
	}, tenant)
}

type step struct {
	name    string
	details map[string]any
	err     error
}

func report(s step) {
	line := map[string]any{"step": s.name, "ok": s.err == nil}
	if s.details != nil {
		line["details"] = s.details
	}
	if s.err != nil {
		line["error"] = s.err.Error()
	}
	out, _ := json.Marshal(line)
	fmt.Println(string(out))
}

type driver struct {
	sdk  *c1.ConductoroneAPI
	opts options
}

type namedStep struct {
	name string
	run  func(context.Context) (map[string]any, error)
}

func (d *driver) steps() []namedStep {
	return []namedStep{
		{"get", d.get},
		{"get_unknown", d.getUnknown},
		{"list", d.list},
		{"confirm_sync_valid", d.confirmSyncValid},
		{"pause", d.pause},
		{"force_sync_while_paused", d.forceSyncWhilePaused},
		{"resume", d.resume},
		{"force_sync", d.forceSync},
		{"update_schedule", d.updateSchedule},
		{"update_schedule_invalid", d.updateScheduleInvalid},
	}
}

// connector reads the connector through ConnectorService.Get and the SDK's
// model. It also returns the raw body, which the SDK keeps readable on
// RawResponse, for the fields this SDK version does not model.
func (d *driver) connector(ctx context.Context) (*shared.Connector, []byte, error) {
	res, err := d.sdk.Connector.Get(ctx, operations.C1APIAppV1ConnectorServiceGetRequest{
		AppID: d.opts.appID,
		ID:    d.opts.connectorID,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("Connector.Get: %w", err)
	}
	if res.StatusCode != 200 {
		return nil, nil, fmt.Errorf("Connector.Get: status %d", res.StatusCode)
	}
	view := res.GetConnectorServiceGetResponse().GetConnectorView()
	connector := view.GetConnector()
	if connector == nil {
		return nil, nil, errors.New("Connector.Get: no connectorView.connector in the response")
	}
	raw, err := io.ReadAll(res.RawResponse.Body)
	if err != nil {
		return nil, nil, fmt.Errorf("Connector.Get: reading the raw body again: %w", err)
	}
	return connector, raw, nil
}

func (d *driver) get(ctx context.Context) (map[string]any, error) {
	c, _, err := d.connector(ctx)
	if err != nil {
		return nil, err
	}
	details := connectorDetails(c)
	if got := deref(c.GetID()); got != d.opts.connectorID {
		return details, fmt.Errorf("id is %q, want %q", got, d.opts.connectorID)
	}
	if got := deref(c.GetAppID()); got != d.opts.appID {
		return details, fmt.Errorf("appId is %q, want %q", got, d.opts.appID)
	}
	if got := status(c); got != shared.ConnectorStatusStatusSyncStatusError {
		return details, fmt.Errorf("status.status is %q, want %q (a sync is held)", got, shared.ConnectorStatusStatusSyncStatusError)
	}
	if got := deref(c.GetSyncDisabledCategory()); got != "DATA_DROP" {
		return details, fmt.Errorf("syncDisabledCategory is %q, want DATA_DROP", got)
	}
	if deref(c.GetConnectorStatus().GetLastError()) == "" {
		return details, errors.New("status.lastError is empty; it should name the data drop")
	}
	return details, nil
}

func (d *driver) getUnknown(ctx context.Context) (map[string]any, error) {
	_, err := d.sdk.Connector.Get(ctx, operations.C1APIAppV1ConnectorServiceGetRequest{
		AppID: d.opts.appID,
		ID:    "no-such-connector",
	})
	return expectCode(err, 404, codeNotFound)
}

func (d *driver) list(ctx context.Context) (map[string]any, error) {
	ids := []string{}
	var token *string
	for page := 0; page < 100; page++ {
		res, err := d.sdk.Connector.List(ctx, operations.C1APIAppV1ConnectorServiceListRequest{
			AppID:     d.opts.appID,
			PageSize:  c1.Int(50),
			PageToken: token,
		})
		if err != nil {
			return nil, fmt.Errorf("Connector.List: %w", err)
		}
		body := res.GetConnectorServiceListResponse()
		for _, view := range body.GetList() {
			ids = append(ids, deref(view.GetConnector().GetID()))
		}
		token = body.GetNextPageToken()
		if deref(token) == "" {
			break
		}
	}
	details := map[string]any{"ids": ids}
	for _, id := range ids {
		if id == d.opts.connectorID {
			return details, nil
		}
	}
	return details, fmt.Errorf("Connector.List of app %s does not include connector %s", d.opts.appID, d.opts.connectorID)
}

func (d *driver) confirmSyncValid(ctx context.Context) (map[string]any, error) {
	res, err := d.sdk.Connector.ConfirmSyncValid(ctx, operations.C1APIAppV1ConnectorServiceConfirmSyncValidRequest{
		ConfirmSyncValidRequest: &shared.ConfirmSyncValidRequest{},
		AppID:                   d.opts.appID,
		ConnectorID:             d.opts.connectorID,
		SyncLifecycleID:         d.opts.heldSyncID,
	})
	if err != nil {
		return nil, fmt.Errorf("Connector.ConfirmSyncValid: %w", err)
	}
	if res.StatusCode != 200 || res.GetConfirmSyncValidResponse() == nil {
		return nil, fmt.Errorf("Connector.ConfirmSyncValid: status %d, parsed body %v", res.StatusCode, res.GetConfirmSyncValidResponse() != nil)
	}
	c, _, err := d.connector(ctx)
	if err != nil {
		return nil, err
	}
	details := connectorDetails(c)
	details["status"] = res.StatusCode
	if got := deref(c.GetSyncDisabledCategory()); got == "DATA_DROP" {
		return details, errors.New("the DATA_DROP hold is still shown after ConfirmSyncValid")
	}
	return details, nil
}

func (d *driver) pause(ctx context.Context) (map[string]any, error) {
	res, err := d.sdk.Connector.PauseSync(ctx, operations.C1APIAppV1ConnectorServicePauseSyncRequest{
		PauseSyncRequest: &shared.PauseSyncRequest{},
		AppID:            d.opts.appID,
		ConnectorID:      d.opts.connectorID,
	})
	if err != nil {
		return nil, fmt.Errorf("Connector.PauseSync: %w", err)
	}
	if res.StatusCode != 200 || res.GetPauseSyncResponse() == nil {
		return nil, fmt.Errorf("Connector.PauseSync: status %d", res.StatusCode)
	}
	c, _, err := d.connector(ctx)
	if err != nil {
		return nil, err
	}
	details := connectorDetails(c)
	details["status"] = res.StatusCode
	if got := status(c); got != shared.ConnectorStatusStatusSyncStatusDisabled {
		return details, fmt.Errorf("status.status after PauseSync is %q, want %q", got, shared.ConnectorStatusStatusSyncStatusDisabled)
	}
	if got := deref(c.GetSyncDisabledCategory()); got != "PAUSED" {
		return details, fmt.Errorf("syncDisabledCategory after PauseSync is %q, want PAUSED", got)
	}
	if c.GetCanResumeSync() == nil || !*c.GetCanResumeSync() {
		return details, errors.New("canResumeSync after PauseSync is not true")
	}
	if c.GetSyncDisabledAt() == nil {
		return details, errors.New("syncDisabledAt after PauseSync is missing")
	}
	return details, nil
}

func (d *driver) forceSyncWhilePaused(ctx context.Context) (map[string]any, error) {
	_, err := d.sdk.Connector.ForceSync(ctx, operations.C1APIAppV1ConnectorServiceForceSyncRequest{
		ForceSyncRequest: &shared.ForceSyncRequest{},
		AppID:            d.opts.appID,
		ConnectorID:      d.opts.connectorID,
	})
	details, failure := expectCode(err, 400, codeFailedPrecondition)
	if failure != nil {
		return details, failure
	}
	if msg, _ := details["message"].(string); !strings.Contains(msg, "paused") {
		return details, fmt.Errorf("the FAILED_PRECONDITION message %q does not say the connector is paused", msg)
	}
	return details, nil
}

func (d *driver) resume(ctx context.Context) (map[string]any, error) {
	res, err := d.sdk.Connector.ResumeSync(ctx, operations.C1APIAppV1ConnectorServiceResumeSyncRequest{
		ResumeSyncRequest: &shared.ResumeSyncRequest{},
		AppID:             d.opts.appID,
		ConnectorID:       d.opts.connectorID,
	})
	if err != nil {
		return nil, fmt.Errorf("Connector.ResumeSync: %w", err)
	}
	if res.StatusCode != 200 || res.GetResumeSyncResponse() == nil {
		return nil, fmt.Errorf("Connector.ResumeSync: status %d", res.StatusCode)
	}
	c, _, err := d.connector(ctx)
	if err != nil {
		return nil, err
	}
	details := connectorDetails(c)
	details["status"] = res.StatusCode
	if got := status(c); got == shared.ConnectorStatusStatusSyncStatusDisabled {
		return details, errors.New("status.status is still SYNC_STATUS_DISABLED after ResumeSync")
	}
	if got := deref(c.GetSyncDisabledCategory()); got == "PAUSED" {
		return details, errors.New("syncDisabledCategory is still PAUSED after ResumeSync")
	}
	if c.GetCanResumeSync() != nil && *c.GetCanResumeSync() {
		return details, errors.New("canResumeSync is still true after ResumeSync")
	}
	return details, nil
}

func (d *driver) forceSync(ctx context.Context) (map[string]any, error) {
	res, err := d.sdk.Connector.ForceSync(ctx, operations.C1APIAppV1ConnectorServiceForceSyncRequest{
		ForceSyncRequest: &shared.ForceSyncRequest{},
		AppID:            d.opts.appID,
		ConnectorID:      d.opts.connectorID,
	})
	if err != nil {
		return nil, fmt.Errorf("Connector.ForceSync: %w", err)
	}
	if res.StatusCode != 200 || res.GetForceSyncResponse() == nil {
		return nil, fmt.Errorf("Connector.ForceSync: status %d", res.StatusCode)
	}
	return map[string]any{"status": res.StatusCode}, nil
}

// scheduleRead is the part of the Get body that this SDK version does not
// model: shared.Connector has no connectorSyncCronSchedule field, so the
// schedule is read from the raw body, into the SDK's own cron type.
type scheduleRead struct {
	ConnectorView struct {
		Connector struct {
			Schedule *shared.ConnectorScheduleCron `json:"connectorSyncCronSchedule"`
		} `json:"connector"`
	} `json:"connectorView"`
}

func (d *driver) schedule(ctx context.Context) (*shared.ConnectorScheduleCron, error) {
	_, raw, err := d.connector(ctx)
	if err != nil {
		return nil, err
	}
	var read scheduleRead
	if err := json.Unmarshal(raw, &read); err != nil {
		return nil, fmt.Errorf("Connector.Get body: %w", err)
	}
	return read.ConnectorView.Connector.Schedule, nil
}

func (d *driver) updateSchedule(ctx context.Context) (map[string]any, error) {
	res, err := d.sdk.Connector.UpdateConnectorSchedule(ctx, operations.C1APIAppV1ConnectorServiceUpdateConnectorScheduleRequest{
		UpdateConnectorScheduleRequest: &shared.UpdateConnectorScheduleRequest{
			ConnectorScheduleCron: &shared.ConnectorScheduleCron{
				CronSpec: c1.String(d.opts.cronSpec),
				Timezone: c1.String(d.opts.timezone),
			},
		},
		AppID:       d.opts.appID,
		ConnectorID: d.opts.connectorID,
	})
	if err != nil {
		return nil, fmt.Errorf("Connector.UpdateConnectorSchedule: %w", err)
	}
	if res.StatusCode != 200 || res.GetUpdateConnectorScheduleResponse() == nil {
		return nil, fmt.Errorf("Connector.UpdateConnectorSchedule: status %d", res.StatusCode)
	}
	cron, err := d.schedule(ctx)
	if err != nil {
		return nil, err
	}
	details := map[string]any{"status": res.StatusCode, "schedule": cronDetails(cron)}
	if cron == nil {
		return details, errors.New("Connector.Get has no connectorSyncCronSchedule after UpdateConnectorSchedule")
	}
	if deref(cron.GetCronSpec()) != d.opts.cronSpec || deref(cron.GetTimezone()) != d.opts.timezone {
		return details, fmt.Errorf("Connector.Get reads back the schedule %q in %q, want %q in %q",
			deref(cron.GetCronSpec()), deref(cron.GetTimezone()), d.opts.cronSpec, d.opts.timezone)
	}
	return details, nil
}

// updateScheduleInvalid sends a time zone that does not exist: INVALID_ARGUMENT,
// and the schedule set before stays.
func (d *driver) updateScheduleInvalid(ctx context.Context) (map[string]any, error) {
	_, err := d.sdk.Connector.UpdateConnectorSchedule(ctx, operations.C1APIAppV1ConnectorServiceUpdateConnectorScheduleRequest{
		UpdateConnectorScheduleRequest: &shared.UpdateConnectorScheduleRequest{
			ConnectorScheduleCron: &shared.ConnectorScheduleCron{
				CronSpec: c1.String("0 * * * *"),
				Timezone: c1.String("Mars/Olympus_Mons"),
			},
		},
		AppID:       d.opts.appID,
		ConnectorID: d.opts.connectorID,
	})
	details, failure := expectCode(err, 400, codeInvalidArgument)
	if failure != nil {
		return details, failure
	}
	cron, err := d.schedule(ctx)
	if err != nil {
		return details, err
	}
	details["schedule"] = cronDetails(cron)
	if cron == nil || deref(cron.GetCronSpec()) != d.opts.cronSpec || deref(cron.GetTimezone()) != d.opts.timezone {
		return details, errors.New("a refused UpdateConnectorSchedule changed the schedule")
	}
	return details, nil
}

// expectCode checks that a call failed with the SDK's error type, the HTTP
// status and the gRPC code of grpc-gateway's error body.
func expectCode(err error, httpStatus int, code int) (map[string]any, error) {
	if err == nil {
		return nil, fmt.Errorf("the call succeeded; want HTTP %d with gRPC code %d", httpStatus, code)
	}
	var sdkErr *sdkerrors.SDKError
	if !errors.As(err, &sdkErr) {
		return nil, fmt.Errorf("want a *sdkerrors.SDKError, got %T: %w", err, err)
	}
	var body struct {
		Code    *int   `json:"code"`
		Message string `json:"message"`
	}
	details := map[string]any{"httpStatus": sdkErr.StatusCode, "body": sdkErr.Body}
	if jsonErr := json.Unmarshal([]byte(sdkErr.Body), &body); jsonErr != nil || body.Code == nil {
		return details, fmt.Errorf("the error body is not {\"code\":…,\"message\":…}: %q", sdkErr.Body)
	}
	details["code"] = *body.Code
	details["message"] = body.Message
	if sdkErr.StatusCode != httpStatus || *body.Code != code {
		return details, fmt.Errorf("got HTTP %d with gRPC code %d (%s), want HTTP %d with code %d",
			sdkErr.StatusCode, *body.Code, body.Message, httpStatus, code)
	}
	return details, nil
}

func connectorDetails(c *shared.Connector) map[string]any {
	details := map[string]any{
		"id":                   deref(c.GetID()),
		"appId":                deref(c.GetAppID()),
		"catalogId":            deref(c.GetCatalogID()),
		"syncStatus":           string(status(c)),
		"lastError":            deref(c.GetConnectorStatus().GetLastError()),
		"syncDisabledCategory": deref(c.GetSyncDisabledCategory()),
		"syncDisabledReason":   deref(c.GetSyncDisabledReason()),
		"canResumeSync":        c.GetCanResumeSync() != nil && *c.GetCanResumeSync(),
	}
	if at := c.GetSyncDisabledAt(); at != nil {
		details["syncDisabledAt"] = at.Format(time.RFC3339Nano)
	}
	return details
}

func cronDetails(cron *shared.ConnectorScheduleCron) map[string]any {
	if cron == nil {
		return nil
	}
	return map[string]any{"cronSpec": deref(cron.GetCronSpec()), "timezone": deref(cron.GetTimezone())}
}

func status(c *shared.Connector) shared.ConnectorStatusStatus {
	if s := c.GetConnectorStatus().GetStatus(); s != nil {
		return *s
	}
	return ""
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
