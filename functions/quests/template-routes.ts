/** `/v1/challenge-templates`: reusable quest patterns, and quests generated from them. */
import { identityOf } from '../lib/auth'
import { nexus } from '../lib/db'
import { authRoutes, createRouter, errorResponseSpec, jsonBody, jsonResponse } from '../lib/openapi'
import { pageSchema } from '../lib/pagination'
import {
  ChallengeTemplateSchema,
  InstantiateTemplateBodySchema,
  ListTemplatesQuerySchema,
  QuestIdParamSchema,
  QuestSchema,
} from './schemas'
import { instantiateTemplate, listTemplates, loadTemplate, templateResource } from './templates'

const route = authRoutes({ tags: ['challenge templates'] })
const notFound = errorResponseSpec('No such template, or a private one you may not see')

export const challengeTemplatesRouter = createRouter({ auth: true })
  .openapi(
    route({
      method: 'get',
      path: '/',
      summary: 'Templates you may see, newest first',
      request: { query: ListTemplatesQuerySchema },
      responses: {
        200: jsonResponse(pageSchema(ChallengeTemplateSchema), 'A page of templates'),
        400: errorResponseSpec('Invalid filter, limit or cursor'),
      },
    }),
    async (c) =>
      c.json(
        await listTemplates(nexus(c).db, { actor: identityOf(c), ...c.req.valid('query') }),
        200,
      ),
  )
  .openapi(
    route({
      method: 'get',
      path: '/{id}',
      summary: 'One template',
      request: { params: QuestIdParamSchema },
      responses: { 200: jsonResponse(ChallengeTemplateSchema, 'The template'), 404: notFound },
    }),
    async (c) =>
      c.json(
        templateResource(await loadTemplate(nexus(c).db, identityOf(c), c.req.valid('param').id)),
        200,
      ),
  )
  .openapi(
    route({
      method: 'post',
      path: '/{id}/quests',
      summary: "Create a quest from the template's generation rules",
      description:
        'The same template, `seed` and `difficulty` give the same quest (a seeded xoroshiro128+). Without a seed a random one is used; `metadata.generated_from` records it.',
      request: { params: QuestIdParamSchema, body: jsonBody(InstantiateTemplateBodySchema) },
      responses: {
        201: jsonResponse(QuestSchema, 'The generated quest (yours)'),
        400: errorResponseSpec('Invalid body'),
        404: notFound,
        409: errorResponseSpec('The template has no rules a quest session can run'),
      },
    }),
    async (c) =>
      c.json(
        await instantiateTemplate(nexus(c).db, {
          actor: identityOf(c),
          template_id: c.req.valid('param').id,
          ...c.req.valid('json'),
        }),
        201,
      ),
  )
