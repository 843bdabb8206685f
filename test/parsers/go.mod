// Tests that feed check_arp's contrib files and captured outputs to the
// real parsers of the monitoring ecosystem (Sensu Go's resource types,
// Telegraf's nagios parser). A module of its own, so that their large
// dependency graphs stay out of the product's go.mod.
module github.com/check-arp/check_arp/test/parsers

go 1.26.0

require (
	github.com/ghodss/yaml v1.0.0
	github.com/influxdata/telegraf v1.37.2
	github.com/sensu/core/v2 v2.20.0
	github.com/sensu/sensu-go/types v0.12.0
)

require (
	github.com/blang/semver/v4 v4.0.0 // indirect
	github.com/coreos/go-semver v0.3.1 // indirect
	github.com/echlebek/timeproxy v1.0.0 // indirect
	github.com/gogo/protobuf v1.3.2 // indirect
	github.com/golang-jwt/jwt/v4 v4.5.2 // indirect
	github.com/golang/protobuf v1.5.4 // indirect
	github.com/google/uuid v1.6.0 // indirect
	github.com/robertkrimen/otto v0.0.0-20221006114523-201ab5b34f52 // indirect
	github.com/robfig/cron/v3 v3.0.1 // indirect
	github.com/sensu/sensu-api-tools v0.2.0 // indirect
	github.com/sirupsen/logrus v1.9.4 // indirect
	go.etcd.io/etcd/api/v3 v3.5.10 // indirect
	golang.org/x/net v0.49.0 // indirect
	golang.org/x/sys v0.40.0 // indirect
	golang.org/x/text v0.33.0 // indirect
	google.golang.org/genproto/googleapis/api v0.0.0-20251202230838-ff82c1b0f217 // indirect
	google.golang.org/genproto/googleapis/rpc v0.0.0-20260120174246-409b4a993575 // indirect
	google.golang.org/grpc v1.78.0 // indirect
	google.golang.org/protobuf v1.36.11 // indirect
	gopkg.in/sourcemap.v1 v1.0.5 // indirect
	gopkg.in/yaml.v2 v2.4.0 // indirect
)
