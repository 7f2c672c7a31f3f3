package rules_test

import (
	"testing"

	it "github.com/lanjie/lanjie/intercept/intercepttest"
)

func TestHasLink(t *testing.T) {
	base := rule("link", `has_link(text)`, "sms")
	yes := []string{
		"点击 http://example.cn 领取退款",
		"HTTPS://BANK-REFUND.COM/claim",
		"登录 www.icbc-safe.com 验证",
		"您的快递异常，详情 t.cn/A6xyz",
		"兼职刷单 dwz.cn/abc 日结",
		"refund at pay.example.com/x",
		"promo.top/win",
		"vip 会员 lucky.vip/a",
	}
	no := []string{
		"",
		"您的验证码是 123456，请勿告诉他人",
		"call me back on 95588",
		"see you at example.com tonight",
		"http:/broken",
		"file.cnx/notalink",
	}
	var cases []fnCase
	for _, s := range yes {
		cases = append(cases, fnCase{name: "link " + s, trigger: it.SMS("s-1", t0, domestic, victim, s), want: true,
			why: []string{"text carries a link"}})
	}
	for _, s := range no {
		cases = append(cases, fnCase{name: "no link " + s, trigger: it.SMS("s-1", t0, domestic, victim, s)})
	}
	cases = append(cases, fnCase{name: "no text on a call", kinds: []string{"call"}, trigger: it.Call("c-1", t0, domestic, victim)})
	runFn(t, base, cases)
}
